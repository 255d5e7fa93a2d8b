// test/openapi/validate.mjs: check JSON bodies against the response schemas
// of examples/openapi/authenticated-sessions.openapi.json.
//
//   node validate.mjs OPENAPI.json CASES.json NGINX_SITE
//
// CASES.json: [{"name", "path", "method", "status", "body", "expect"}] where
// expect is "valid" or "invalid"; with "header": "Content-Range" the body (a
// string) is checked against that response header's schema instead.
// Also checks that the document is valid OpenAPI 3.1, that every example in
// it matches its schema, and that the JSON error bodies the nginx site
// returns itself match the Error schema.
// Prints one line per check: "ok" or "fail", a tab, the check's name, a tab,
// details.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";

const [docPath, casesPath, sitePath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docPath, "utf8"));
const cases = JSON.parse(readFileSync(casesPath, "utf8"));

const oneLine = (s) => String(s).replace(/[\t\r\n]+/g, " ");
const report = (name, ok, detail = "") =>
  console.log(`${ok ? "ok" : "fail"}\t${oneLine(name)}\t${oneLine(detail)}`);

// 1. The document is OpenAPI 3.1 (the official schemas).
const openapi = new Validator();
const res = await openapi.validate(doc);
report(
  "the document is valid OpenAPI 3.1",
  res.valid && openapi.version === "3.1",
  res.valid ? `version ${openapi.version}` : JSON.stringify(res.errors).slice(0, 500),
);

// 2. Its component schemas, compiled by Ajv as JSON Schema 2020-12 (strict:
//    an unknown keyword or format is an error, not ignored).
const BASE = "https://authsessions.invalid/openapi";
const defs = JSON.parse(
  JSON.stringify({ $id: BASE, $defs: doc.components.schemas }).replaceAll(
    "#/components/schemas/",
    "#/$defs/",
  ),
);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema(defs);

// A validator for a schema as written in the document (a $ref or inline).
const compile = (schema) =>
  ajv.compile(
    JSON.parse(
      JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", ...schema })
        .replaceAll('"#/components/schemas/', `"${BASE}#/$defs/`),
    ),
  );

const operation = (path, method) => {
  const op = doc.paths?.[path]?.[method];
  if (!op) throw new Error(`no ${method} ${path} in the document`);
  return op;
};
const responseOf = (path, method, status) => {
  const r = operation(path, method).responses?.[String(status)];
  if (!r) throw new Error(`no ${status} response for ${method} ${path}`);
  return r;
};
const describe = (errors) =>
  (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");

// 3. Every example in the document matches its own schema.
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const media = [
      ...(op.requestBody ? [["request", op.requestBody.content?.["application/json"]]] : []),
      ...Object.entries(op.responses ?? {}).map(([s, r]) => [s, r.content?.["application/json"]]),
    ];
    for (const [what, m] of media) {
      for (const [exName, ex] of Object.entries(m?.examples ?? {})) {
        const v = compile(m.schema);
        const ok = v(ex.value);
        report(`example ${exName} of ${method.toUpperCase()} ${path} ${what} matches its schema`, ok, describe(v.errors));
      }
    }
  }
}

// 4. The cases: real function output, and mutations of it.
for (const c of cases) {
  try {
    const r = responseOf(c.path, c.method, c.status);
    const schema = c.header
      ? r.headers?.[c.header]?.schema ?? doc.components.headers?.[c.header]?.schema
      : r.content?.["application/json"]?.schema;
    if (!schema) throw new Error(`no schema for ${c.header ?? "the body"}`);
    const v = compile(schema);
    const valid = v(c.body);
    const ok = c.expect === "valid" ? valid : !valid;
    report(c.name, ok, valid ? (ok ? "" : "accepted") : describe(v.errors));
  } catch (e) {
    report(c.name, false, String(e.message ?? e));
  }
}

// 5. The error bodies the nginx site returns itself (return 404/405/503 '...').
const site = readFileSync(sitePath, "utf8");
const unescape = (s) =>
  s.replace(/\\(.)/g, (_, ch) => ({ n: "\n", t: "\t", r: "\r" })[ch] ?? ch);
const siteErrors = [...site.matchAll(/return (\d{3}) '((?:[^'\\]|\\.)*)';/g)];
report("the nginx site returns JSON error bodies", siteErrors.length >= 3, `${siteErrors.length} found`);
const errorSchema = compile({ $ref: "#/components/schemas/Error" });
for (const [, status, text] of siteErrors) {
  let body;
  try {
    body = JSON.parse(unescape(text));
  } catch (e) {
    report(`nginx ${status} body is JSON`, false, String(e.message));
    continue;
  }
  const documented = Object.values(doc.paths).some((ops) =>
    Object.values(ops).some((op) => op.responses?.[status]));
  const ok = errorSchema(body);
  report(`nginx ${status} body ${body.code} matches the Error schema and the status is documented`,
    ok && documented, ok ? (documented ? "" : "status not documented") : describe(errorSchema.errors));
}
