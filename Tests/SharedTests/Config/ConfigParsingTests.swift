import Testing
@testable import Shared

@Suite struct ConfigParsingTests {
    @Test func databaseURLParsesAllPartsAndPercentDecodes() throws {
        let url = try DatabaseURL(parsing: "mysql://chat%40app:p%3Ass%2Fw@db.local:3307/chat%5Fmain")
        #expect(url == DatabaseURL(user: "chat@app", password: "p:ss/w", host: "db.local", port: 3307, database: "chat_main"))
        #expect(try DatabaseURL(parsing: "mysql://u:p@[::1]/db") == DatabaseURL(user: "u", password: "p", host: "::1", port: 3306, database: "db"))
        #expect(try DatabaseURL(parsing: "mysql://u@h:1/d").password == "")
        #expect(try DatabaseURL(parsing: "mysql://u:p@ss@h/d").password == "p@ss")
    }

    @Test func databaseURLErrorsExplainAndHideThePassword() {
        let cases: [(String, String)] = [
            ("postgres://u:p@h/d", "expected mysql://"),
            ("mysql://h:3306/d", "the user is missing"),
            ("mysql://u:secret@h:3306", "database name is missing"),
            ("mysql://u:secret@h:99999/d", "port must be a number in 1...65535"),
            ("mysql://u:secret@h:abc/d", "port must be a number"),
            ("mysql://u:secret@:3306/d", "host is missing"),
            ("mysql://u:secret@h/d/e", "one path segment"),
            ("mysql://u%zz:secret@h/d", "malformed percent escape"),
            ("mysql://:secret@h/d", "user is empty"),
        ]
        for (text, reason) in cases {
            #expect {
                try DatabaseURL(parsing: text)
            } throws: { error in
                let error = error as! ConfigError
                return error.reason.contains(reason) && !error.description.contains("secret")
            }
        }
        #expect(DatabaseURL(user: "u", password: "pw", host: "h", database: "d").description == "mysql://u:***@h:3306/d")
    }

    @Test func redisURLParsesHostPortDatabaseAndPassword() throws {
        #expect(try RedisURL(parsing: "redis://127.0.0.1:6380") == RedisURL(host: "127.0.0.1", port: 6380))
        #expect(try RedisURL(parsing: "redis://cache") == RedisURL(host: "cache", port: 6379, database: 0))
        #expect(try RedisURL(parsing: "redis://cache:7000/3").database == 3)
        #expect(try RedisURL(parsing: "redis://:s%40cret@[::1]:7000/").password == "s@cret")
        #expect(try RedisURL(parsing: "redis://[::1]:7000").host == "::1")
        for bad in ["http://h:1", "redis://h:0", "redis://h:1/x", "redis://", "redis://::1:6379"] {
            #expect(throws: ConfigError.self, "\(bad)") { try RedisURL(parsing: bad) }
        }
    }

    @Test func cidrContainsIPv4AndIPv6Addresses() throws {
        let ten = try CIDR(parsing: "10.1.2.3/8")
        #expect(ten.description == "10.0.0.0/8")
        #expect(ten.contains("10.255.0.1"))
        #expect(!ten.contains("11.0.0.1"))
        #expect(ten.contains("::ffff:10.0.0.7"), "IPv4-mapped IPv6 matches IPv4 networks")
        #expect(!ten.contains("not an ip"))
        let odd = try CIDR(parsing: "192.168.1.128/25")
        #expect(odd.contains("192.168.1.200") && !odd.contains("192.168.1.127"))
        let v6 = try CIDR(parsing: "fd00:abcd::/32")
        #expect(v6.contains("fd00:abcd:1::5"))
        #expect(v6.contains("[fd00:abcd::1]"))
        #expect(v6.contains("fd00:abcd::1%eth0"))
        #expect(!v6.contains("fd00:abce::1"))
        #expect(!v6.contains("10.0.0.1"))
        #expect(try CIDR(parsing: "0.0.0.0/0").contains("8.8.8.8"))
        #expect(try CIDR(parsing: "::/0").contains("2001:db8::1"))
        let host = try CIDR(parsing: "203.0.113.9")
        #expect(host.prefixLength == 32 && host.contains("203.0.113.9") && !host.contains("203.0.113.8"))
    }

    @Test func loopbackIsTheDefaultTrustedProxyList() {
        #expect(CIDR.loopback.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(CIDR.loopback.containsAddress("127.0.0.1"))
        #expect(CIDR.loopback.containsAddress("127.9.9.9"))
        #expect(CIDR.loopback.containsAddress("::1"))
        #expect(!CIDR.loopback.containsAddress("::2"))
        #expect(!CIDR.loopback.containsAddress("192.168.0.1"))
    }

    @Test func cidrRejectsMalformedNetworks() throws {
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/8/1", "", "fe80::/-1", "host/8"] {
            #expect(throws: ConfigError.self, "\(bad)") { try CIDR(parsing: bad) }
        }
        #expect(throws: ConfigError.self) { try CIDR.parseList("127.0.0.1/8, nonsense") }
        #expect(try CIDR.parseList(" 10.0.0.0/8 ,, ::1 ").count == 2)
    }
}
