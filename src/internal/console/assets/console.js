// The guard console's page script. Every value from the server is put in the page as text
// (textContent, createTextNode, attribute values): events carry attack payloads by nature, and the
// page's CSP requires Trusted Types, so no string can become markup even by mistake.
"use strict"
;(() => {
  const base = document.querySelector('meta[name="guard-console-base"]').getAttribute("content")
  const SVG = "http://www.w3.org/2000/svg"
  const MAX_EVENTS = 2000
  const MAX_ROWS = 500
  const STATE_EVERY_MS = 5000

  // The page took the token from ?token= (a browser cannot send a header when opening a page): it
  // is kept for this tab only and removed from the address bar and history.
  const params = new URLSearchParams(location.search)
  let token = params.get("token") || sessionStorage.getItem("guard-console-token") || ""
  if (params.has("token")) {
    sessionStorage.setItem("guard-console-token", token)
    history.replaceState(null, "", location.pathname)
  }
  const authHeaders = (extra) => Object.assign(token === "" ? {} : { authorization: "Bearer " + token }, extra || {})

  const $ = (id) => document.getElementById(id)
  const el = (tag, text, className) => {
    const node = document.createElement(tag)
    if (text !== undefined && text !== null) node.textContent = String(text)
    if (className) node.className = className
    return node
  }
  const svg = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag)
    for (const k in attrs) node.setAttribute(k, String(attrs[k]))
    return node
  }
  const clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild) }
  const time = (ms) => new Date(ms).toLocaleTimeString()
  const dateTime = (ms) => ms === null || ms === undefined ? "until lifted" : new Date(ms).toLocaleString()

  const showError = (message) => {
    const box = $("error")
    box.textContent = message
    box.hidden = message === ""
  }

  // ---- events ----------------------------------------------------------------------------------
  const events = []
  let lastId = 0
  let paused = false
  let missed = 0
  const knownTypes = new Set()

  const filters = () => ({
    type: $("filter-type").value,
    ip: $("filter-ip").value.trim(),
    route: $("filter-route").value.trim(),
    refused: $("filter-refused").checked
  })
  const matches = (e, f) =>
    (f.type === "" || e.type === f.type) &&
    (f.ip === "" || e.ip.includes(f.ip)) &&
    (f.route === "" || (e.route || "").includes(f.route)) &&
    (!f.refused || e.refused)

  const row = (e) => {
    const tr = document.createElement("tr")
    tr.dataset.id = String(e.id)
    if (e.passive) tr.className = "passive"
    else if (e.refused) tr.className = "refused"
    const cells = [time(e.time), e.type, e.action, e.ip, ((e.method || "") + " " + (e.route || "")).trim(), e.check || "", e.rules.join(", "), e.score, e.reason]
    for (const c of cells) tr.appendChild(el("td", c))
    tr.addEventListener("click", () => showDetail(e))
    return tr
  }

  const renderEvents = () => {
    const body = $("events").tBodies[0]
    clear(body)
    const f = filters()
    let shown = 0
    for (let i = events.length - 1; i >= 0 && shown < MAX_ROWS; i--) {
      if (!matches(events[i], f)) continue
      body.appendChild(row(events[i]))
      shown++
    }
  }

  const addType = (type) => {
    if (knownTypes.has(type)) return
    knownTypes.add(type)
    const select = $("filter-type")
    const option = el("option", type)
    option.value = type
    const after = [...select.options].slice(1).find((o) => o.value > type)
    select.insertBefore(option, after || null)
  }

  const onEvent = (e) => {
    if (typeof e !== "object" || e === null || typeof e.id !== "number" || e.id <= lastId) return
    lastId = e.id
    events.push(e)
    if (events.length > MAX_EVENTS) events.shift()
    addType(e.type)
    // a ban set or lifted shows in the bans panel at once, not at the next refresh
    if (e.type === "ip_banned" || e.type === "ip_unbanned") scheduleRefresh()
    if (paused) {
      missed++
      const note = $("paused-note")
      note.hidden = false
      note.textContent = "Paused: " + missed + " new event(s) not shown"
      return
    }
    if (!matches(e, filters())) return
    const body = $("events").tBodies[0]
    body.insertBefore(row(e), body.firstChild)
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1)
  }

  const showDetail = (e) => {
    $("detail-panel").hidden = false
    $("h-detail").textContent = "Event #" + e.id + " (" + e.type + ")"
    $("detail").textContent = JSON.stringify(e, null, 2)
  }
  $("detail-close").addEventListener("click", () => { $("detail-panel").hidden = true })

  $("pause").addEventListener("click", () => {
    paused = !paused
    $("pause").setAttribute("aria-pressed", String(paused))
    $("pause").textContent = paused ? "Resume" : "Pause"
    if (!paused) {
      missed = 0
      $("paused-note").hidden = true
      renderEvents()
    }
  })
  for (const id of ["filter-type", "filter-ip", "filter-route", "filter-refused"]) {
    $(id).addEventListener("input", renderEvents)
    $(id).addEventListener("change", renderEvents)
  }

  // ---- live stream (Server-Sent Events read with fetch, so the token travels in a header) --------
  const setConnection = (state, label) => {
    const badge = $("connection")
    badge.dataset.state = state
    badge.textContent = label
  }

  const handleBlock = (block) => {
    let data = ""
    for (const line of block.split("\n")) {
      if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "")
    }
    if (data === "") return
    try {
      onEvent(JSON.parse(data))
    } catch (_) {
      // a malformed frame is skipped
    }
  }

  const connect = async () => {
    if ($("connection").dataset.state !== "live") setConnection("connecting", "connecting")
    try {
      const response = await fetch(base + "/api/stream?after=" + lastId, { headers: authHeaders(), cache: "no-store" })
      if (response.status === 401) {
        setConnection("denied", "token refused")
        showError("The console refused the token. Open it as " + location.pathname + "?token=<GUARD_CONSOLE_TOKEN>.")
        return
      }
      if (!response.ok || response.body === null) throw new Error("stream answered " + response.status)
      setConnection("live", "live")
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ""
      for (;;) {
        const { value, done } = await reader.read()
        if (done) {
          // the server ends each stream after a while (so that it can close): resume at once
          setTimeout(connect, 0)
          return
        }
        buffer += value.replace(/\r\n?/g, "\n")
        let end
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handleBlock(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
      }
    } catch (_) {
      // reconnects below
    }
    setConnection("down", "reconnecting")
    setTimeout(connect, 2000)
  }

  // ---- charts (plain SVG) ------------------------------------------------------------------------
  const lineChart = (container, minutes) => {
    const W = 400, H = 150, P = 22
    const max = Math.max(1, ...minutes.map((m) => Math.max(m.requests, m.refusals)))
    const x = (i) => P + (i * (W - 2 * P)) / Math.max(1, minutes.length - 1)
    const y = (v) => H - P - (v * (H - 2 * P)) / max
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "requests and refusals per minute" })
    for (const v of [0, max / 2, max]) {
      chart.appendChild(svg("line", { x1: P, x2: W - P, y1: y(v), y2: y(v), class: "grid" }))
      const label = svg("text", { x: 2, y: y(v) + 4 })
      label.textContent = String(Math.round(v))
      chart.appendChild(label)
    }
    const barWidth = Math.max(1, (W - 2 * P) / minutes.length - 2)
    minutes.forEach((m, i) => {
      if (m.refusals > 0) chart.appendChild(svg("rect", { x: x(i) - barWidth / 2, y: y(m.refusals), width: barWidth, height: H - P - y(m.refusals), class: "refusals" }))
    })
    chart.appendChild(svg("polyline", { points: minutes.map((m, i) => x(i) + "," + y(m.requests)).join(" "), class: "requests" }))
    const first = svg("text", { x: P, y: H - 4 })
    first.textContent = minutes.length > 0 ? time(minutes[0].minute * 60000) : ""
    const last = svg("text", { x: W - P - 20, y: H - 4 })
    last.textContent = "now"
    chart.appendChild(first)
    chart.appendChild(last)
    clear(container)
    container.appendChild(chart)
  }

  const barChart = (container, counts) => {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 8)
    clear(container)
    if (entries.length === 0) {
      container.appendChild(el("p", "none", "muted"))
      return
    }
    const W = 400, ROW = 20
    const max = Math.max(...entries.map((e) => e[1]))
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + entries.length * ROW, role: "img" })
    entries.forEach(([name, count], i) => {
      const label = svg("text", { x: 0, y: i * ROW + 14 })
      label.textContent = name
      chart.appendChild(label)
      chart.appendChild(svg("rect", { x: 170, y: i * ROW + 4, width: Math.max(2, (count / max) * (W - 220)), height: ROW - 8, class: "bar" }))
      const value = svg("text", { x: W - 40, y: i * ROW + 14 })
      value.textContent = String(count)
      chart.appendChild(value)
    })
    container.appendChild(chart)
  }

  // ---- state: counts, top talkers, bans, passive report, health ----------------------------------
  const api = async (path, init) => {
    const response = await fetch(base + path, Object.assign({ cache: "no-store" }, init, { headers: authHeaders(init && init.headers) }))
    if (response.status === 401) throw new Error("The console refused the token.")
    return response
  }

  const topList = (id, entries) => {
    const list = $(id)
    clear(list)
    if (entries.length === 0) list.appendChild(el("li", "none", "muted"))
    for (const entry of entries) {
      const item = el("li", entry.key)
      item.appendChild(el("span", entry.error > 0 ? "≤" + entry.count : entry.count, "count"))
      list.appendChild(item)
    }
  }

  const unban = async (target, button) => {
    button.disabled = true
    try {
      const response = await api("/api/unban", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ target }) })
      if (!response.ok) throw new Error("unban answered " + response.status)
      await refresh()
    } catch (error) {
      showError(String(error.message || error))
      button.disabled = false
    }
  }

  const renderBans = (bans) => {
    $("bans-source").textContent = (bans.source === "redis" ? "Every instance's bans (Redis)." : "Bans set since this instance started.") +
      (bans.error ? " Could not list: " + bans.error : "")
    const body = $("bans").tBodies[0]
    clear(body)
    if (bans.list.length === 0) {
      const tr = document.createElement("tr")
      const td = el("td", "No active bans", "muted")
      td.colSpan = 4
      tr.appendChild(td)
      body.appendChild(tr)
    }
    for (const ban of bans.list) {
      const tr = document.createElement("tr")
      tr.dataset.target = ban.target
      tr.appendChild(el("td", ban.target))
      tr.appendChild(el("td", ban.reason))
      tr.appendChild(el("td", dateTime(ban.until)))
      const td = document.createElement("td")
      const button = el("button", "Unban")
      button.type = "button"
      button.addEventListener("click", () => unban(ban.target, button))
      td.appendChild(button)
      tr.appendChild(td)
      body.appendChild(tr)
    }
  }

  const renderPassive = (passive) => {
    const body = $("passive").tBodies[0]
    clear(body)
    if (passive.top.length === 0) {
      const tr = document.createElement("tr")
      const td = el("td", passive.enabled ? "Nothing would have been refused yet" : "Passive mode is off: refusals are real", "muted")
      td.colSpan = 5
      tr.appendChild(td)
      body.appendChild(tr)
    }
    for (const entry of passive.top) {
      const tr = document.createElement("tr")
      for (const c of [entry.count, entry.check, entry.type, entry.rule, entry.lastReason]) tr.appendChild(el("td", c))
      body.appendChild(tr)
    }
  }

  const renderHealth = (health) => {
    const dl = $("health")
    clear(dl)
    const add = (term, value, ok) => {
      dl.appendChild(el("dt", term))
      dl.appendChild(el("dd", value, ok === undefined ? "" : ok ? "ok" : "bad"))
    }
    const t = health.telemetry
    add("Telemetry", t.started ? (t.degraded ? "degraded" : "started") : "stopped", t.started && !t.degraded)
    add("Exporters", t.exporters.join(", ") || "none")
    add("Failed exporters", t.failed.join(", ") || "none", t.failed.length === 0)
    const byExporter = Object.entries(t.droppedByExporter).filter((e) => e[1] > 0).map((e) => e[0] + ": " + e[1]).join(", ")
    add("Telemetry dropped", String(t.dropped) + (byExporter ? " (" + byExporter + ")" : ""), t.dropped === 0 && byExporter === "")
    add("Redis", health.redis.enabled ? (health.redis.ready ? "ready" : "not answering") + " (" + health.redis.url + ")" : "off", health.redis.enabled ? health.redis.ready : undefined)
    add("Mode", health.passiveMode ? "passive (logging only)" : "active (refusing)")
    $("config").textContent = JSON.stringify(health.config, null, 2)
  }

  const renderState = (state) => {
    const last = state.minutes
    lineChart($("chart-minutes"), last)
    const byCheck = {}, byType = {}
    for (const m of last) {
      for (const k in m.byCheck) byCheck[k] = (byCheck[k] || 0) + m.byCheck[k]
      for (const k in m.byType) byType[k] = (byType[k] || 0) + m.byType[k]
    }
    barChart($("chart-checks"), byCheck)
    barChart($("chart-types"), byType)
    topList("top-ips", state.top.ips)
    topList("top-routes", state.top.routes)
    topList("top-rules", state.top.rules)
    renderBans(state.bans)
    renderPassive(state.passive)
    renderHealth(state.health)
    const mode = $("mode")
    mode.textContent = state.passive.enabled ? "passive mode" : "active"
    mode.className = state.passive.enabled ? "badge passive" : "badge"
    $("totals").textContent = state.totals.requests + " requests, " + state.totals.refusals + " refusals, " + state.totals.events + " events"
  }

  let refreshTimer = undefined
  const scheduleRefresh = () => {
    if (refreshTimer === undefined) refreshTimer = setTimeout(() => { refreshTimer = undefined; refresh() }, 200)
  }

  const refresh = async () => {
    try {
      const response = await api("/api/state")
      if (!response.ok) throw new Error("state answered " + response.status)
      renderState(await response.json())
      showError("")
    } catch (error) {
      showError(String(error.message || error))
    }
  }

  $("export-passive").addEventListener("click", async () => {
    try {
      const response = await api("/api/passive-report")
      if (!response.ok) throw new Error("report answered " + response.status)
      const url = URL.createObjectURL(await response.blob())
      const link = el("a")
      link.href = url
      link.download = "guard-passive-report.json"
      document.body.appendChild(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10000)
    } catch (error) {
      showError(String(error.message || error))
    }
  })

  connect()
  refresh()
  setInterval(refresh, STATE_EVERY_MS)
})()
