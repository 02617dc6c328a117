import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The two validators every SARIF we emit must pass: Microsoft's SARIF Multitool with GitHub's ingestion
 * rules (Gh) and the SARIF rules, and the SARIF 2.1.0 JSON schema the same package ships, with ajv —
 * because one invalid value can stop the multitool before it reports the rest.
 */
const require = createRequire(import.meta.url);
const MULTITOOL: string = require('@microsoft/sarif-multitool');
const SCHEMA = JSON.parse(readFileSync(path.join(path.dirname(MULTITOOL), 'sarif-2.1.0.json'), 'utf8')) as object;

// The schema declares `required` properties that live in sibling `anyOf` branches; ajv's strict mode
// rejects that shape, so only that one check is relaxed.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const validateSchema = ajv.compile(SCHEMA);

/** Schema violations, as `instancePath message` lines. */
export function schemaErrors(doc: unknown): string[] {
  if (validateSchema(doc)) return [];
  return (validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/**
 * What `Sarif.Multitool validate --rule-kind "Gh;Sarif" --level "Error;Warning"` reports, as
 * `RULE level: message` lines. The tool exits 0 even when it finds errors, so its report file is read.
 */
export function multitoolErrors(sarifText: string): string[] {
  // npm 11 does not run the package's postinstall chmod; without the execute bit nothing would run.
  if ((statSync(MULTITOOL).mode & 0o100) === 0) chmodSync(MULTITOOL, 0o755);
  const dir = mkdtempSync(path.join(tmpdir(), 'gohazard-sarif-'));
  const input = path.join(dir, 'input.sarif');
  const report = path.join(dir, 'report.sarif');
  let text: string;
  try {
    writeFileSync(input, sarifText);
    const r = spawnSync(MULTITOOL, ['validate', '--rule-kind', 'Gh;Sarif', '--level', 'Error;Warning', '--log', 'ForceOverwrite', '-o', report, input], {
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0) throw new Error(`Sarif.Multitool failed: ${r.error?.message ?? r.stderr}`);
    text = readFileSync(report, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const log = JSON.parse(text) as {
    runs: {
      tool: { driver: { rules?: { id: string; messageStrings?: Record<string, { text: string }> }[] } };
      results?: { ruleId: string; level?: string; message: { id?: string; text?: string; arguments?: string[] } }[];
      invocations?: { toolExecutionNotifications?: { message: { text: string } }[] }[];
    }[];
  };
  const out: string[] = [];
  for (const run of log.runs) {
    const rules = new Map((run.tool.driver.rules ?? []).map((x) => [x.id, x]));
    for (const res of run.results ?? []) {
      const template = res.message.id ? rules.get(res.ruleId)?.messageStrings?.[res.message.id]?.text : undefined;
      const text = template ? template.replace(/\{(\d+)\}/g, (_, i: string) => res.message.arguments?.[Number(i)] ?? '') : res.message.text;
      out.push(`${res.ruleId} ${res.level ?? 'warning'}: ${text ?? ''}`);
    }
    for (const inv of run.invocations ?? []) for (const n of inv.toolExecutionNotifications ?? []) out.push(`tool: ${n.message.text}`);
  }
  return out;
}
