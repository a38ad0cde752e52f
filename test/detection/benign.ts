/**
 * Benign corpus: real-looking requests of web apps and APIs, each tagged with what kind of traffic it
 * is. It deliberately includes the shapes that trip naive detectors: SQL words in sentences, code
 * snippets in comments, browser client-hint headers, accented names, base64 ids and tokens, MyBatis
 * `#{id}` placeholders, rich text, GraphQL, JSON Schema keys, prices, maths and URLs.
 */
import type { DetectionInput } from "../../src/ThreatDetector.js"

export interface BenignCase {
  readonly tag: string
  readonly input: DetectionInput
}

const CHROME = {
  "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "accept-language": "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
  "accept-encoding": "gzip, deflate, br, zstd",
  "sec-ch-ua": "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
  "sec-ch-ua-mobile": "?0",
  "sec-ch-ua-platform": "\"Windows\"",
  "sec-fetch-site": "same-origin",
  "sec-fetch-mode": "navigate",
  "sec-fetch-dest": "document",
  "upgrade-insecure-requests": "1",
  referer: "https://shop.example.com/products?category=shoes&sort=price_asc"
}

const API = {
  "user-agent": "okhttp/4.12.0",
  accept: "application/json",
  "content-type": "application/json",
  authorization: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  "x-request-id": "4bf92f3577b34da6a3ce929d0e0e4736",
  "x-client-version": "2.31.4",
  "x-api-key": "sk_live_51HxYz2eZvKYlo2C8Nq3bT0pQ",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
}

const json = (value: unknown) => ({ kind: "json" as const, text: JSON.stringify(value) })

const HAND_WRITTEN: ReadonlyArray<BenignCase> = [
  // prose with SQL words, quotes and punctuation
  { tag: "prose", input: { path: "/api/comments", headers: API, body: json({ text: "Please select the best option from the list and update your profile before Friday." }) } },
  { tag: "prose", input: { path: "/api/comments", body: json({ text: "The union members will drop by the table at 5pm; bring the order forms." }) } },
  { tag: "prose", input: { path: "/api/comments", body: json({ text: "Where can I order by phone? I'd rather not create an account." }) } },
  { tag: "prose", input: { path: "/api/comments", body: json({ text: "Tom's and Jerry's favourite: \"cheese\" -- or so they say." }) } },
  { tag: "prose", input: { path: "/api/comments", body: json({ text: "It's either 1 or 2 hours, depending on traffic. Delete from your calendar if needed." }) } },
  { tag: "prose", input: { path: "/api/reviews", body: json({ rating: 4, text: "Great value!!! Shipping was fast & the box was intact. 10/10 would order again :)" }) } },
  { tag: "prose", input: { path: "/api/reviews", body: json({ text: "I tried to insert the card into the slot and update the firmware, then sleep mode worked." }) } },
  { tag: "prose", input: { path: "/api/support", body: json({ subject: "Can't log in", message: "Hi, I can't log in since yesterday. I've reset my password twice (using the 'forgot password' link) but it still fails. Thanks!" }) } },
  { tag: "prose", input: { path: "/api/notes", body: { kind: "text", text: "Meeting notes 2024-03-14\n- Alice: ship v2 by EOD\n- Bob: review PR #482 & #483\n- Decision: drop the legacy table after migration.\n" } } },
  { tag: "prose", input: { path: "/api/notes", body: { kind: "text", text: "Recipe: mix 2 cups flour + 1 cup sugar; bake at 180°C for 25-30 min. Serves 4–6 people." } } },
  { tag: "prose", input: { path: "/api/messages", body: json({ body: "Salut ! On se retrouve à 18h devant l'église ? J'apporte les crêpes 🥞" }) } },
  { tag: "prose", input: { path: "/api/messages", body: json({ body: "Math homework: if x = 3 and y = 4 then x + y = 7, and 3 * 4 = 12." }) } },
  { tag: "prose", input: { path: "/api/messages", body: json({ body: "Use the drop-down to select a region from the menu, then press Update." }) } },
  { tag: "prose", input: { path: "/api/posts", body: json({ title: "Why we chose Postgres", body: "We compared several databases. In the end the select few features we needed (JSONB, CTEs) decided it. Union of concerns, not a war." }) } },
  { tag: "prose", input: { path: "/api/posts", body: json({ title: "5 tips", body: "1. Sleep 8 hours\n2. Drink water\n3. Exec summary first\n4. Echo what you heard\n5. Kill distractions" }) } },
  { tag: "prose", input: { path: "/api/messages", body: json({ body: "rock & roll; cat lovers welcome | dogs too" }) } },
  { tag: "prose", input: { path: "/api/feedback", body: { kind: "form", text: "name=Ana+Souza&email=ana%40example.org&message=Love+the+app%21+One+request%3A+please+add+dark+mode+%28and+an+export+option%29.+Thanks+%3B%29" } } },
  // code snippets in comments
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "You can convert it with `Array.from(set)` or the spread operator `[...set]`." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "Try this:\n\nif (a < b && b > c) {\n  return a;\n}\n\nIt fixed it for me." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "With jQuery: const v = $(\"#email\").val(); then $(document).ready(init);" }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "for i in range(10):\n    print(i * 2)\n# prints even numbers" }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "Run `npm install --save lodash` and then `npm test`. Works on Node 20." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "Run `ls -la` in the project folder and check that package.json is there." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "In Java, use List<String> names = new ArrayList<>(); then names.add(\"x\");" }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "The query SELECT id, name FROM users is slow without an index." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "Use map.get(key) ?? defaultValue; the nullish operator is ES2020." }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "CSS tip: .card > .title { font-weight: 600; } and :root { --gap: 8px; }" }) } },
  { tag: "code-comment", input: { path: "/api/comments", body: json({ text: "In Rust: let v: Vec<i32> = (0..10).collect(); println!(\"{:?}\", v);" }) } },
  { tag: "code-comment", input: { path: "/api/snippets", body: json({ language: "go", code: "func add(a int, b int) int {\n\treturn a + b\n}" }) } },
  { tag: "code-comment", input: { path: "/api/snippets", body: json({ language: "yaml", code: "services:\n  web:\n    image: nginx:1.25\n    ports:\n      - \"8080:80\"" }) } },
  // MyBatis / templates that are not injections
  { tag: "mybatis", input: { path: "/api/snippets", body: json({ language: "xml", code: "WHERE id = #{id} AND status = #{status}" }) } },
  { tag: "mybatis", input: { path: "/api/mappers", body: json({ statement: "update users set name = #{user.name} where id = #{user.id}" }) } },
  { tag: "template", input: { path: "/api/email-templates", body: json({ subject: "Welcome {{ user.firstName }}!", html: "<p>Hello {{user.firstName}},</p><p>Your order {{order.id}} has shipped.</p>" }) } },
  { tag: "template", input: { path: "/api/i18n", body: json({ greeting: "Bonjour ${name}, vous avez ${count} messages" }) } },
  // rich text
  { tag: "rich-text", input: { path: "/api/pages/42", body: json({ html: "<h2>About us</h2><p>We are a <strong>small</strong> team based in <a href=\"https://example.com/lyon\">Lyon</a>.</p><ul><li>Design</li><li>Code</li></ul>" }) } },
  { tag: "rich-text", input: { path: "/api/pages/43", body: json({ html: "<p><img src=\"/uploads/team.jpg\" alt=\"Our team\" width=\"600\"></p><blockquote>Less is more.</blockquote>" }) } },
  { tag: "rich-text", input: { path: "/api/docs", body: json({ markdown: "# Install\n\n```bash\nnpm i effect\n```\n\n> Note: requires Node >= 18.\n\n| a | b |\n|---|---|\n| 1 | 2 |" }) } },
  // accented and non-Latin names
  { tag: "names", input: { path: "/api/users", headers: API, body: json({ firstName: "José", lastName: "Müller-Lüdenscheidt", city: "Zürich" }) } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "Zoë Saldaña", company: "Ñandú & Cía." }) } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "Łukasz Żółć", address: "ul. Świętokrzyska 12/4, Warszawa" }) } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "Ægir Þórsson", note: "Reykjavík" }) } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "王小明", city: "北京市", phone: "+86 10 1234 5678" }) } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "O'Connor", nickname: "D'Artagnan", title: "Ms." }) } },
  { tag: "names", input: { path: "/search", query: "q=Fran%C3%A7ois+Truffaut&lang=fr" } },
  { tag: "names", input: { path: "/api/users", body: json({ name: "Ана Петрова", email: "ana.petrova@example.ru" }) } },
  // base64 ids, tokens, hashes
  { tag: "ids", input: { path: "/api/files/Zm9vYmFyLWJhei0xMjM0NTY3ODkw", headers: API } },
  { tag: "ids", input: { path: "/api/objects", query: "cursor=eyJpZCI6MTIzNDUsInRzIjoxNzAwMDAwMDAwfQ%3D%3D&limit=50" } },
  { tag: "ids", input: { path: "/api/objects", query: "id=V1StGXR8_Z5jdHi6B-myT&v=2" } },
  { tag: "ids", input: { path: "/api/objects", query: "token=dGhpcyBpcyBhIHRlc3Q=" } },
  { tag: "ids", input: { path: "/api/tx/0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060" } },
  { tag: "ids", input: { path: "/api/commits/9fceb02d0ae598e95dc970b74767f19372d61af8" } },
  { tag: "ids", input: { path: "/api/items/550e8400-e29b-41d4-a716-446655440000" } },
  { tag: "ids", input: { path: "/api/upload", body: json({ checksum: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" }) } },
  { tag: "ids", input: { path: "/", cookies: { session: "s%3AQmFzZTY0U2Vzc2lvbklk.Kx9v%2F1qN3l0z8c5Xb0oP4yJqQ2w", _ga: "GA1.2.1234567890.1700000000", _fbp: "fb.1.1700000000000.987654321" } } },
  { tag: "ids", input: { path: "/", cookies: { jwt: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.abcDEF123_-xyz", theme: "dark", locale: "de-DE" } } },
  { tag: "ids", input: { path: "/", cookies: { _session_id: "BAh7CEkiD3Nlc3Npb25faWQGOgZFVEkiJTQ1ZDU4NjJhYzM0ZTk4", cart: "%7B%22items%22%3A%5B1%2C2%2C3%5D%7D" } } },
  // GraphQL, JSON Schema, .NET, JSON:API
  { tag: "graphql", input: { path: "/graphql", headers: API, body: json({ query: "query GetUser($id: ID!) { user(id: $id) { id name email posts(first: 10) { edges { node { title } } } } }", variables: { id: "42" } }) } },
  { tag: "graphql", input: { path: "/graphql", body: json({ query: "mutation { updateUser(input: {id: 1, name: \"Ann\"}) { ok } }" }) } },
  { tag: "json-schema", input: { path: "/api/schemas", body: json({ $schema: "https://json-schema.org/draft/2020-12/schema", $id: "https://example.com/person.schema.json", type: "object", properties: { age: { $ref: "#/$defs/age" } } }) } },
  { tag: "dotnet", input: { path: "/api/entities", body: json({ $type: "Contoso.Models.Customer, Contoso", Name: "Contoso Ltd" }) } },
  { tag: "jsonapi", input: { path: "/api/articles", query: "include=author,comments&fields[articles]=title,body&page[number]=2&page[size]=25&filter[status]=published&sort=-created_at" } },
  // queries that look scary to naive regexes
  { tag: "search", input: { path: "/search", query: "q=select+box+css", headers: CHROME } },
  { tag: "search", input: { path: "/search", query: "q=drop+shadow+css", headers: CHROME } },
  { tag: "search", input: { path: "/search", query: "q=union+station+chicago", headers: CHROME } },
  { tag: "search", input: { path: "/search", query: "q=rock+%26+roll+hall+of+fame" } },
  { tag: "search", input: { path: "/search", query: "q=c%2B%2B+tutorial" } },
  { tag: "search", input: { path: "/search", query: "q=what+does+1%3D1+mean" } },
  { tag: "search", input: { path: "/search", query: "q=how+to+sleep+better" } },
  { tag: "search", input: { path: "/search", query: "q=cat+food+%26+toys" } },
  { tag: "search", input: { path: "/search", query: "q=script+writing+course" } },
  { tag: "search", input: { path: "/search", query: "q=%22exact+phrase%22+-excluded" } },
  { tag: "search", input: { path: "/search", query: "q=50%25+off+shoes" } },
  { tag: "search", input: { path: "/search", query: "q=AT%26T+plans&page=2" } },
  { tag: "search", input: { path: "/search", query: "q=O%27Reilly+books" } },
  { tag: "search", input: { path: "/search", query: "q=where+is+the+order+by+date+button" } },
  { tag: "search", input: { path: "/search", query: "q=email+me+at+john.doe%2Btag%40example.com" } },
  { tag: "search", input: { path: "/search", query: "q=price+%3C+100+and+rating+%3E+4" } },
  { tag: "search", input: { path: "/search", query: "q=.env+file+format" } },
  { tag: "search", input: { path: "/search", query: "q=javascript+tutorial+for+beginners" } },
  // redirects and URLs
  { tag: "redirect", input: { path: "/login", query: "next=%2Fdashboard%3Ftab%3Dbilling" } },
  { tag: "redirect", input: { path: "/oauth/authorize", query: "response_type=code&client_id=abc123&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&scope=openid%20profile%20email&state=xyz789" } },
  { tag: "redirect", input: { path: "/share", query: "url=https%3A%2F%2Fnews.example.org%2F2024%2F03%2Fstory.html%3Futm_source%3Dtwitter" } },
  { tag: "webhook", input: { path: "/api/webhooks", headers: { ...API, "x-github-event": "push", "x-hub-signature-256": "sha256=6f5902ac237024bdd0c176cb93063dc4" }, body: json({ ref: "refs/heads/main", repository: { full_name: "acme/site" }, commits: [{ message: "Fix: select correct user from cache; update tests" }] }) } },
  // files
  { tag: "upload", input: { path: "/api/uploads", headers: { "content-disposition": "attachment; filename=\"Quarterly report (Q3).pdf\"" } } },
  { tag: "upload", input: { path: "/api/uploads", body: json({ filename: "photo-2024-03-14.jpg", size: 204800, mime: "image/jpeg" }) } },
  { tag: "upload", input: { path: "/api/uploads", body: json({ filename: "install.sh", size: 1024 }) } },
  { tag: "upload", input: { path: "/api/uploads", body: { kind: "fields", fields: [["title", "Team photo"], ["filename", "team.png"]] } } },
  // well-known and static paths
  { tag: "static", input: { path: "/robots.txt" } },
  { tag: "static", input: { path: "/sitemap.xml" } },
  { tag: "static", input: { path: "/.well-known/security.txt" } },
  { tag: "static", input: { path: "/.well-known/openid-configuration" } },
  { tag: "static", input: { path: "/.well-known/acme-challenge/Tk3nHq2-ZxY9" } },
  { tag: "static", input: { path: "/favicon.ico", headers: CHROME } },
  { tag: "static", input: { path: "/actuator/health" } },
  { tag: "static", input: { path: "/static/js/app.3f2a1c9e.js" } },
  { tag: "static", input: { path: "/assets/fonts/Inter-Regular.woff2" } },
  { tag: "static", input: { path: "/downloads/product-catalog-2024.zip" } },
  { tag: "static", input: { path: "/docs/api/v2/index.html" } },
  { tag: "static", input: { path: "/blog/2024/01/how-to-select-a-database" } },
  { tag: "static", input: { path: "/products/union-jack-flag" } },
  { tag: "static", input: { path: "/wiki/C%2B%2B" } },
  { tag: "static", input: { path: "/users/jos%C3%A9/profile" } },
  // forms and plain text
  { tag: "form", input: { path: "/login", body: { kind: "form", text: "username=jdoe&password=hunter2&remember=on" } } },
  { tag: "form", input: { path: "/signup", body: { kind: "form", text: "email=marie.curie%40example.fr&name=Marie+Curie&country=FR&newsletter=1" } } },
  { tag: "form", input: { path: "/checkout", body: { kind: "form", text: "address=221B+Baker+St.&city=London&zip=NW1+6XE&notes=Leave+at+door+%2F+ring+twice" } } },
  { tag: "text", input: { path: "/api/import", body: { kind: "text", text: "id,name,email\n1,John Smith,john@example.com\n2,Jane Doe,jane@example.com\n" } } },
  { tag: "text", input: { path: "/api/logs", body: { kind: "text", text: "2024-03-14T10:00:00Z INFO request completed status=200 duration_ms=12 path=/api/users" } } },
  // headers
  { tag: "headers", input: { path: "/api/me", headers: { ...API, "x-timezone": "America/New_York", "x-device": "iPhone15,2; iOS 17.2", "x-requested-with": "XMLHttpRequest" } } },
  { tag: "headers", input: { path: "/", headers: { ...CHROME, "sec-ch-ua-platform-version": "\"15.0.0\"", "sec-ch-ua-full-version-list": "\"Chromium\";v=\"124.0.6367.91\", \"Google Chrome\";v=\"124.0.6367.91\"" } } },
  { tag: "headers", input: { path: "/api/data", headers: { "if-match": "\"33a64df551425fcc55e4d42a148795d9f25f89d4\"", "x-correlation-id": "req_01HQ3X5Z8K9M", "x-forwarded-prefix": "/api" } } },
  { tag: "headers", input: { path: "/api/data", headers: { "x-amz-date": "20240314T100000Z", "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" } } },
  // settings and nested JSON
  { tag: "settings", input: { path: "/api/settings", body: json({ theme: "dark", notifications: { email: true, sms: false }, shortcuts: ["ctrl+s", "ctrl+shift+p"], regex: "^[a-z0-9_-]{3,16}$" }) } },
  { tag: "settings", input: { path: "/api/settings", body: json({ cron: "*/15 * * * *", path: "/var/data/exports", timeout: "30s" }) } },
  { tag: "order", input: { path: "/api/orders", body: json({ items: [{ sku: "TSHIRT-M-BLK", qty: 2, price: 19.99 }], coupon: "SPRING-25%", total: "$39.98", note: "Gift wrap, please :)" }) } },
  { tag: "prose", input: { path: "/api/chat", body: json({ messages: [{ role: "user", content: "Summarize: the committee will update the table of contents and delete obsolete sections from chapter 3." }] }) } }
]

// ---------------------------------------------------------------- generated ordinary API traffic
const RESOURCES = ["users", "orders", "products", "invoices", "projects", "tickets", "articles", "teams", "events", "payments", "customers", "reports"]
const QUERY_SETS = [
  "page=1&per_page=20",
  "sort=created_at&order=desc",
  "status=active&limit=50",
  "q=summer+dress&color=blue&size=M",
  "from=2024-01-01&to=2024-03-31",
  "fields=id,name,email&include=profile",
  "lang=pt-BR&currency=BRL",
  "tag=black-friday&utm_source=newsletter&utm_medium=email&utm_campaign=bf2024",
  "lat=48.8566&lng=2.3522&radius=5km",
  "ids=1,2,3,4&expand=items",
  "filter=name%20eq%20%27Smith%27",
  "search=annual+report+2023"
]
const BODIES = [
  { name: "Alice Martin", email: "alice.martin@example.com", role: "editor" },
  { title: "Fix login redirect", description: "After login the user lands on /home instead of the page they came from.", priority: "high", labels: ["bug", "auth"] },
  { amount: 4999, currency: "EUR", description: "Invoice #2024-0042 for consulting (March)", customer: "cus_Nf0Rk2a9" },
  { street: "12 rue de la Paix", city: "Paris", postcode: "75002", country: "FR", instructions: "Code 4B12, 3rd floor" },
  { product: "Wireless Mouse", description: "Ergonomic 2.4 GHz mouse with USB-C receiver; 3 DPI levels (800/1600/3200).", price: 29.9 },
  { event: "page_view", url: "https://www.example.com/pricing?plan=pro", referrer: "https://www.google.com/", ts: 1710410000 },
  { comment: "Looks good to me. Could you also update the README and select a better name for the flag?" },
  { settings: { language: "es", timezone: "Europe/Madrid", weekStart: "monday" }, version: 3 }
]

const GENERATED: ReadonlyArray<BenignCase> = RESOURCES.flatMap((resource, r) => [
  { tag: "api-list", input: { path: `/api/v1/${resource}`, query: QUERY_SETS[r % QUERY_SETS.length] ?? "", headers: API } },
  { tag: "api-get", input: { path: `/api/v1/${resource}/${1000 + r * 37}`, headers: API } },
  { tag: "api-create", input: { path: `/api/v1/${resource}`, headers: API, body: json(BODIES[r % BODIES.length]) } },
  { tag: "api-update", input: { path: `/api/v1/${resource}/${2000 + r}`, headers: API, body: json({ ...BODIES[(r + 3) % BODIES.length], updatedBy: "user_8f2k" }) } },
  { tag: "api-search", input: { path: `/api/v1/${resource}/search`, query: QUERY_SETS[(r + 5) % QUERY_SETS.length] ?? "", headers: API } },
  { tag: "page", input: { path: `/${resource}`, query: QUERY_SETS[(r + 7) % QUERY_SETS.length] ?? "", headers: CHROME, cookies: { session: `sess_${r}a9f3k2`, theme: r % 2 === 0 ? "light" : "dark" } } },
  { tag: "page", input: { path: `/${resource}/new`, headers: CHROME } },
  { tag: "form", input: { path: `/${resource}/${r + 1}/edit`, headers: CHROME, body: { kind: "form", text: `name=${encodeURIComponent(`Item ${r} — édition`)}&description=${encodeURIComponent("Updated from the web form; see notes (v2).")}&_csrf=Yk3n9Qp2Lx` } } },
  { tag: "api-delete", input: { path: `/api/v1/${resource}/${3000 + r}`, headers: { ...API, "if-match": `"v${r}"` } } },
  { tag: "export", input: { path: `/api/v1/${resource}/export`, query: `format=csv&columns=id,name,created_at&tz=${encodeURIComponent("America/Sao_Paulo")}`, headers: API } },
  { tag: "nested", input: { path: `/api/v1/${resource}/bulk`, headers: API, body: json({ items: BODIES.map((b, i) => ({ id: i, ...b })), dryRun: r % 2 === 0 }) } },
  { tag: "static", input: { path: `/static/${resource}/${resource}-${r}.png`, headers: CHROME } },
  { tag: "i18n", input: { path: `/fr/${resource}`, query: "q=caf%C3%A9+cr%C3%A8me&tri=prix", headers: CHROME } },
  { tag: "graphql", input: { path: "/graphql", headers: API, body: json({ query: `query { ${resource}(first: ${5 + r}, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { id } } }` }) } },
  { tag: "analytics", input: { path: "/collect", query: `v=1&tid=UA-12345-${r}&cid=${555 + r}.${1700000000 + r}&t=pageview&dp=%2F${resource}&dt=${encodeURIComponent(`${resource} | Example`)}` } },
  { tag: "webhook", input: { path: `/hooks/${resource}`, headers: { ...API, "x-event-type": `${resource}.updated` }, body: json({ type: `${resource}.updated`, data: { id: `${resource}_${r}`, previous: { status: "draft" }, current: { status: "published" } } }) } },
  { tag: "auth", input: { path: "/oauth/token", body: { kind: "form", text: `grant_type=refresh_token&refresh_token=rt_${r}Xk29fLq0Pz&client_id=web-app` } } },
  { tag: "mobile", input: { path: `/m/api/${resource}`, headers: { "user-agent": "ExampleApp/5.2.1 (iPhone; iOS 17.3; Scale/3.00)", "x-app-build": `52${r}`, "x-device-id": `A1B2C3D4-${r}E5F-6789-ABCD-EF0123456789` }, query: "offset=0&count=30" } },
  { tag: "comment", input: { path: `/api/v1/${resource}/${r}/comments`, headers: API, body: json({ body: `Comment ${r}: I'd select option B — it's cheaper (about 20%) and the team can update it later.` }) } },
  { tag: "health", input: { path: r % 2 === 0 ? "/healthz" : "/readyz", headers: { "user-agent": "kube-probe/1.29" } } },
  { tag: "search", input: { path: "/search", query: `q=${encodeURIComponent(["best pizza near me", "how to fix a leaking tap", "python list comprehension", "weather tomorrow", "flights paris to rome", "select all shortcut mac", "what is a union type in typescript", "sleep apnea symptoms", "cat & dog friendship videos", "drop ceiling installation", "convert 5'11\" to cm", "order of operations math"][r] ?? "")}` } }
])

export const BENIGN: ReadonlyArray<BenignCase> = [...HAND_WRITTEN, ...GENERATED]
