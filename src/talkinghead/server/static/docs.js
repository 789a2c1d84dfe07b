// The API reference, drawn from /openapi.json: plain JS, nothing from the network but this server.
"use strict";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function schemaText(schema, spec) {
  // A short readable type: "string", "number", "array of string", a $ref's field list, …
  if (!schema) return "";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    const s = spec.components.schemas[name] || {};
    if (s.properties) return Object.keys(s.properties).map((k) => `${k}${(s.required || []).includes(k) ? "*" : ""}: ${schemaText(s.properties[k], spec)}`).join(", ");
    return name;
  }
  if (schema.anyOf) return schema.anyOf.map((s) => schemaText(s, spec)).join(" | ");
  if (schema.type === "array") return `array of ${schemaText(schema.items, spec)}`;
  return schema.format === "binary" ? "file" : (schema.type || "");
}

function operation(path, method, op, spec) {
  const box = el("article", "op");
  const head = el("h3");
  head.append(el("span", `method ${method}`, method.toUpperCase()), el("code", "", ` ${path}`));
  box.append(head);
  if (op.summary) box.append(el("p", "summary", op.summary));
  if (op.description && op.description !== op.summary) box.append(el("p", "desc", op.description));
  const params = op.parameters || [];
  if (params.length) {
    const ul = el("ul");
    params.forEach((p) => ul.append(el("li", "", `${p.name} (${p.in}${p.required ? ", required" : ""}): ${schemaText(p.schema, spec)}`)));
    box.append(el("h4", "", "Parameters"), ul);
  }
  const body = op.requestBody && op.requestBody.content;
  if (body) {
    for (const [type, c] of Object.entries(body)) box.append(el("p", "body", `Body (${type}): ${schemaText(c.schema, spec)}`));
  }
  const codes = Object.entries(op.responses || {}).map(([code, r]) => `${code} ${r.description || ""}`);
  if (codes.length) box.append(el("p", "responses", `Responses: ${codes.join("; ")}`));
  return box;
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  document.getElementById("about").textContent = `${spec.info.title} ${spec.info.version}: ${spec.info.description || ""}`;
  const root = document.getElementById("endpoints");
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) root.append(operation(path, method, op, spec));
  }
  root.append(el("p", "note", "Every error answers JSON: {\"detail\": {\"error\": what is wrong, \"fix\": what to do}}. " +
                              "Live sessions: the WebSocket /live (protocol in talkinghead/server/live.py)."));
  window.docsReady = true;
}

main().catch((e) => { document.getElementById("about").textContent = `could not read /openapi.json: ${e}`; });
