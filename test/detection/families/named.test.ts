/**
 * Values the name they are sent under changes: an upload's file name (multipart `filename`, the
 * `X-Filename` headers of upload scripts) and a parameter named for an include. The families read
 * the name from `ScanContext.parameter`; the same text under an ordinary name passes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { bodyOf } from "../../../src/internal/scanBody.js"
import { type DetectionInput, ThreatDetector } from "../../../src/ThreatDetector.js"

const boundary = "----formN4m3"
const upload = (filename: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n--${boundary}--\r\n`

const uploadInput = (filename: string) =>
  Effect.map(bodyOf(new TextEncoder().encode(upload(filename)), `multipart/form-data; boundary=${boundary}`, false), (view): DetectionInput => ({
    path: "/upload",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    ...("body" in view ? { body: view.body } : {})
  }))

const rulesFor = (input: DetectionInput) =>
  Effect.flatMap(ThreatDetector.make(), (d) => Effect.map(d.detect(input), (r) => ({ isThreat: r.isThreat, ruleIds: r.ruleIds })))

const query = (name: string, value: string): DetectionInput => ({ path: "/index.php", query: [[name, value]] })

describe("an upload's file name", () => {
  it.effect.each<readonly [string, string, string]>([
    ["a climb out of the upload directory", "../1.7z", "files-201"],
    ["a Windows climb", "..\\..\\avatar.png", "files-201"],
    ["an absolute path to a session file", "/tmp/sess_d8ew88tqmabdcokhumchy8htqm", "files-201"],
    ["a server config", ".htaccess", "files-202"],
    ["a copy of the WordPress config an extension filter misses", "wp-config-php.bak", "files-202"],
    ["a framework config with the trailing space the file system drops", "config.yml ", "files-202"],
    ["a script behind a space the file system drops", "shell. jspx", "code-016"],
    ["a PHP session file", "sess_d8ew88tqmabdcokhumchy8htqm", "code-016"]
  ])("%s is refused: %s", ([, filename, rule]) =>
    Effect.gen(function*() {
      const result = yield* rulesFor(yield* uploadInput(filename))
      expect(result.isThreat).toBe(true)
      expect(result.ruleIds).toContain(rule)
    }))

  it.effect.each<readonly [string, string]>([
    ["a photo", "My photo (2).jpg"],
    ["the full path old Internet Explorer sent", "C:\\Users\\ann\\Desktop\\photo.jpg"],
    ["a document about configuration", "config-notes.pdf"],
    ["a YAML file of another name", "pipeline.yml"],
    ["a shell script's screenshot", "shell.jpg"],
    ["dots in a name", "report.v2.final.docx"]
  ])("%s passes: %s", ([, filename]) =>
    Effect.gen(function*() {
      expect((yield* rulesFor(yield* uploadInput(filename))).isThreat).toBe(false)
    }))

  it.effect("an X-Filename header names the upload too; the same text in another header passes", () =>
    Effect.gen(function*() {
      const headers = (name: string) => ({ path: "/upload", headers: { [name]: "wp-config_php.txt" } })
      expect((yield* rulesFor(headers("x-filename"))).ruleIds).toContain("files-202")
      expect((yield* rulesFor(headers("x-comment"))).isThreat).toBe(false)
    }))

  it.effect("a text field holding a relative link is not an upload", () =>
    Effect.gen(function*() {
      expect((yield* rulesFor({ path: "/notes", body: { kind: "fields", fields: [["note", "../relative/link"]] } })).isThreat).toBe(false)
    }))

  it.effect("a name seen clean under an ordinary parameter is still read as an upload's name", () =>
    Effect.gen(function*() {
      const detector = yield* ThreatDetector.make()
      const seen = yield* detector.detect({ path: "/form", body: { kind: "fields", fields: [["title", "config.yml"]] } })
      expect(seen.isThreat).toBe(false)
      const uploaded = yield* detector.detect({ path: "/upload", body: { kind: "fields", fields: [["file.filename", "config.yml"]] } })
      expect(uploaded.ruleIds).toContain("files-202")
    }))
})

describe("a parameter named for an include", () => {
  it.effect.each<readonly [string, string, string]>([
    ["a config array's path, register_globals style", "_CONF[path]", "https://foo.bar"],
    ["an include parameter", "include", "http://evil.example/shell.txt"],
    ["an application root", "mosConfig_absolute_path", "http://evil.example/"],
    ["a page parameter fetching a script", "page", "https://evil.example/cmd.php"]
  ])("%s holding a remote URL is refused: %s", ([, name, url]) =>
    Effect.gen(function*() {
      expect((yield* rulesFor(query(name, url))).ruleIds).toContain("files-109")
    }))

  it.effect.each<readonly [string, string, string]>([
    ["a search for a URL", "q", "https://foo.bar"],
    ["a page parameter holding a site's home page", "page", "https://example.com/"],
    ["a file parameter holding a document", "file", "https://cdn.example.com/report.pdf"],
    ["an include parameter holding a local name", "include", "header"]
  ])("%s passes at the default level: %s=%s", ([, name, value]) =>
    Effect.gen(function*() {
      expect((yield* rulesFor(query(name, value))).isThreat).toBe(false)
    }))
})
