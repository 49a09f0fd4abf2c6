import Foundation

/// Debian's Chromium, headless, as the judge of what a letter's HTML does in a browser: it
/// loads the page with a probe script appended (the test's, never the letter's), which runs
/// every event handler the page has, reads where every link and resource resolves, and
/// writes what it saw into the DOM that `--dump-dom` prints.
public enum HeadlessChromium {
    /// What the probe saw.
    public struct Verdict: Sendable {
        /// The scheme (`https:`, `javascript:`) of every `href`, `src`, `action` and `formaction`, as Chromium resolved it.
        public var protocols: [String]
        /// The address each `<img>` chose to load (its `currentSrc`, from `src` or a `srcset` candidate).
        public var loads: [String]
        /// True when anything set `data-pwned` on the body (a handler or a `javascript:` link ran).
        public var pwned: Bool
        /// The DOM as Chromium built it.
        public var dom: String
    }

    /// The binary, or nil when it is not installed (`apt-get install -y chromium`).
    public static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The probe: runs each `on*` handler, then follows each `javascript:` link's code as a
    /// click would (without navigating away from the page for any other link).
    static let probe = """
        <script>
        (function () {
          var seen = [];
          var all = document.querySelectorAll('*');
          for (var i = 0; i < all.length; i++) {
            var element = all[i];
            for (var j = 0; j < element.attributes.length; j++) {
              var name = element.attributes[j].name;
              if (name.indexOf('on') === 0 && typeof element[name] === 'function') { try { element[name].call(element, new Event('x')); } catch (e) {} }
              if (name === 'href' || name === 'src' || name === 'action' || name === 'formaction') {
                var url;
                try { url = new URL(element.attributes[j].value, 'https://letter.invalid/'); } catch (e) { url = null; }
                var protocol = url ? url.protocol : 'invalid:';
                seen.push(protocol);
                if (protocol === 'javascript:') { try { element.click(); } catch (e) {} }
              }
            }
          }
          function readLoads() {
            var loads = [];
            var images = document.querySelectorAll('img');
            for (var k = 0; k < images.length; k++) { if (images[k].currentSrc) { loads.push(encodeURI(images[k].currentSrc)); } }
            document.documentElement.setAttribute('data-loads', loads.join(' '));
          }
          setTimeout(function () { document.documentElement.setAttribute('data-protocols', seen.join(' ')); readLoads(); }, 0);
          window.addEventListener('load', readLoads);
        })();
        </script>
        """

    /// Loads `html` in Chromium with the probe and reports what it saw.
    public static func judge(_ html: String) throws -> Verdict {
        guard let chromium = path else { throw Missing() }
        let folder = TemporaryDirectory("herald-chromium")
        let page = html.replacingOccurrences(of: "</body>", with: probe + "</body>")
        let file = folder.write("letter.html", page.contains(probe) ? page : page + probe)
        let result = try Subprocess.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(folder.path)/profile",
                "--virtual-time-budget=2000", "--dump-dom", "file://\(file)",
            ], timeout: 60)
        let dom = result.stdout
        var protocols: [String] = []
        if let start = dom.range(of: "data-protocols=\"") {
            protocols = dom[start.upperBound...].prefix { $0 != "\"" }.split(separator: " ").map(String.init)
        }
        var loads: [String] = []
        if let start = dom.range(of: "data-loads=\"") {
            loads = dom[start.upperBound...].prefix { $0 != "\"" }.split(separator: " ").map(String.init)
        }
        let pwned = dom.range(of: "data-pwned=\"yes\"") != nil
        return Verdict(protocols: protocols, loads: loads, pwned: pwned, dom: dom)
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "chromium is not installed: apt-get install -y chromium" }
    }
}
