import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct PunycodeTests {
    /// RFC 3492 §7.1 sample strings (lowercased, as IDNA maps them).
    @Test(arguments: [
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
        ("ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
        ("pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a".lowercased()),
    ])
    func encodesRFC3492Samples(label: String, expected: String) {
        #expect(Punycode.encode(label) == expected)
    }

    /// Python's IDNA codec as the oracle for whole domains.
    @Test func domainsMatchPythonIDNA() throws {
        let domains = ["bücher.example", "Ελληνική-Δημοκρατία.example", "auswärtiges-amt.de.example", "MÜNCHEN.example", "ascii.example"]
        let code = "import sys,json; print(json.dumps([d.encode('idna').decode() for d in json.loads(sys.argv[1])]))"
        let json = String(decoding: try JSONEncoder().encode(domains), as: UTF8.self)
        let result = try Subprocess.run(PackagePaths.python, ["-c", code, json])
        #expect(result.status == 0, "\(result)")
        let expected = try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
        #expect(domains.map { Punycode.asciiDomain($0) } == expected.map { $0.lowercased() })
    }

    @Test func internationalDomainBecomesALabelsInTheAddress() throws {
        let address = try EmailAddress(parsing: "minister@auswärtiges-amt.example")
        #expect(address.description == "minister@xn--auswrtiges-amt-8hb.example")
        #expect(try EmailAddress(parsing: "joschka.fischer-ä@auswärtiges-amt.example").description == "joschka.fischer-ä@xn--auswrtiges-amt-8hb.example")
    }
}
