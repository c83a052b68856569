import Testing
@testable import Shared

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

@Suite struct CryptoTests {
    /// RFC 4231 §4.2-4.8.
    @Test(arguments: [
        (hex(String(repeating: "0b", count: 20)), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xaa, count: 131),
         Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ] as [([UInt8], [UInt8], String)])
    func hmacSHA256MatchesRFC4231Vectors(key: [UInt8], data: [UInt8], expected: String) {
        #expect(Crypto.hmacSHA256(key: key, message: data) == hex(expected))
    }

    @Test func hmacSHA256TruncatedVectorOfRFC4231Case5() {
        let mac = Crypto.hmacSHA256(key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        #expect(Array(mac.prefix(16)) == hex("a3b6167473100ee06e0c796c2955552b"))
    }

    /// RFC 7914 §11 and the widely used vectors for PBKDF2-HMAC-SHA256.
    @Test(arguments: [
        ("passwd", "salt", 1, 64, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", 80000, 64, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
        ("password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        ("password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40,
         "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"),
    ])
    func pbkdf2SHA256MatchesKnownVectors(password: String, salt: String, iterations: Int, length: Int, expected: String) {
        #expect(Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array(salt.utf8),
                                    iterations: iterations, length: length) == hex(expected))
    }

    @Test func digestsMatchFIPSVectors() {
        #expect(Crypto.sha1(Array("abc".utf8)) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        #expect(Crypto.sha256(Array("abc".utf8)) == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(Crypto.sha256([UInt8]()) == hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        // A non-contiguous collection is accepted too.
        #expect(Crypto.sha1("abc".utf8.lazy.map { $0 }) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
    }

    @Test func randomBytesHaveTheAskedLengthAndDiffer() {
        #expect(Crypto.randomBytes(0).isEmpty)
        let a = Crypto.randomBytes(32), b = Crypto.randomBytes(32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
    }

    @Test func constantTimeEqualComparesContentAndLength() {
        #expect(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(Crypto.constantTimeEqual([UInt8](), []))
    }
}

@Suite struct Base64URLTests {
    @Test func encodesWithoutPaddingInTheURLAlphabet() {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode([0xfb, 0xff, 0xfe]) == "-__-")
    }

    @Test func roundTripsEveryLength() {
        for length in 0..<70 {
            let bytes = Crypto.randomBytes(length)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test func decodingRefusesNonCanonicalInput() {
        #expect(Base64URL.decode("Zg==") == nil)       // padding
        #expect(Base64URL.decode("Z") == nil)          // impossible length
        #expect(Base64URL.decode("Zm9v+/") == nil)     // standard alphabet
        #expect(Base64URL.decode("Zh") == nil)         // non-zero trailing bits
        #expect(Base64URL.decode("Zm9 ") == nil)
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
    }
}
