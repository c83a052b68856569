import Foundation

/// Paths inside this checkout, found from this file's location so tests run from anywhere.
public enum Repository {
    /// The checkout's top folder (Tests/TestSupport/ is two levels below it).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Where `swift build` puts executables: `CHAT_TEST_BIN_DIR`, else `.build/<configuration>`.
    public static func binDirectory(configuration: String = "debug") -> URL {
        if let dir = ProcessInfo.processInfo.environment["CHAT_TEST_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return root.appendingPathComponent(".build/\(configuration)")
    }
}
