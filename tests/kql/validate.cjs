#!/usr/bin/env node
// Validates a batch of KQL queries with Microsoft's Kusto.Language (npm @kusto/language-service-next).
// stdin:  {"tables": {"Name": [{"name": "Col", "type": "string"}, ...]}, "queries": ["...", ...]}
// stdout: [[{"severity", "code", "start", "length", "message"}, ...], ...]  (one list per query)
// start/length count Unicode code points (not UTF-16 units) so Python can slice the query with them.
// Loading the library takes ~1 s, so callers send every query in one batch.
"use strict";

const fs = require("fs");

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(message) {
  process.stderr.write(`validate.cjs: ${message}\n`);
  process.exit(2);
}

function loadKusto() {
  try {
    // bridge.js defines the Bridge.NET runtime on the global object; the language library needs it first.
    require("@kusto/language-service-next/bridge.js");
    require("@kusto/language-service-next/Kusto.Language.Bridge.js");
  } catch (err) {
    fail(`cannot load @kusto/language-service-next (run npm ci in the repo root): ${err.message}`);
  }
  return globalThis.Kusto;
}

function buildGlobals(Kusto, tables) {
  const Symbols = Kusto.Language.Symbols;
  const symbols = Object.entries(tables).map(([tableName, columns]) => {
    if (!IDENT.test(tableName)) fail(`bad table name ${JSON.stringify(tableName)}`);
    if (!Array.isArray(columns) || columns.length === 0) fail(`table ${tableName} has no columns`);
    const parts = columns.map((col) => {
      if (!col || !IDENT.test(col.name) || !IDENT.test(col.type)) {
        fail(`table ${tableName}: bad column ${JSON.stringify(col)}`);
      }
      return `${col.name}:${col.type}`;
    });
    const table = Symbols.TableSymbol.From(`(${parts.join(", ")})`).WithName(tableName);
    // From() accepts unknown type names silently; a typo in the schema must not weaken validation.
    for (const col of Bridge.toArray(table.Columns)) {
      if (col.Type === Symbols.ScalarTypes.Unknown) fail(`table ${tableName}: unknown type for column ${col.Name}`);
    }
    if (table.Columns.Count !== columns.length) fail(`table ${tableName}: schema parsed to the wrong column count`);
    return table;
  });
  const db = new Symbols.DatabaseSymbol.$ctor2("workspace", null, symbols);
  return Kusto.Language.GlobalState.Default.WithDatabase(db);
}

// UTF-16 offset -> code point offset.
function cpOffset(text, utf16Index) {
  return Array.from(text.slice(0, utf16Index)).length;
}

function diagnose(Kusto, globals, text) {
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, globals);
  return Bridge.toArray(code.GetDiagnostics()).map((d) => {
    const start = cpOffset(text, d.Start);
    return {
      severity: d.Severity,
      code: d.Code,
      start,
      length: cpOffset(text, d.Start + d.Length) - start,
      message: d.Message,
    };
  });
}

function main() {
  let request;
  try {
    request = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (err) {
    fail(`stdin is not one JSON document: ${err.message}`);
  }
  const { tables, queries } = request || {};
  if (!tables || typeof tables !== "object" || Array.isArray(tables)) fail('"tables" must be an object');
  if (!Array.isArray(queries) || !queries.every((q) => typeof q === "string")) {
    fail('"queries" must be a list of strings');
  }
  const Kusto = loadKusto();
  const globals = buildGlobals(Kusto, tables);
  const results = queries.map((text, i) => {
    try {
      return diagnose(Kusto, globals, text);
    } catch (err) {
      // An analyzer crash is not "no diagnostics": stop so the caller cannot read it as valid.
      return fail(`analysis of query #${i} crashed: ${err && err.message}`);
    }
  });
  process.stdout.write(JSON.stringify(results));
}

main();
