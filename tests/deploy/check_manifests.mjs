// check_manifests.mjs: offline validation of Kubernetes manifests against
// the API schemas bundled in the npm package kubernetes-models (no cluster,
// no API server). tests/deploy/test_deploy.py runs it; it can also run alone:
//
//   node tests/deploy/check_manifests.mjs [--json] PATH...
//
// PATH is a .yaml/.yml file or a directory of them. Every YAML document is
// checked: its apiVersion/kind must have a schema, it must validate (types,
// required fields), and it must hold no field the schema does not know (a
// misspelt `readinesProbe` would otherwise pass: the schemas allow extra
// fields, the API server drops them silently). A Kustomization is not an API
// object: it is parsed and passed on, not validated.
//
// Output: one line per object and problem, or with --json one JSON document
// {"objects": [{file, index, apiVersion, kind, name, errors, unknown, object}],
//  "problems": [...]} for the cross-checks in test_deploy.py. Exit status 0
// when every object is valid, 1 when not, 2 for bad usage.

import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

// Wraps `value` so that every property the schema's validator reads is
// recorded in `seen` as a path ("/spec/replicas"). A validator reads each
// property its schema defines (and each key of a map), so after validation
// any key of the object that was never read is one the schema does not know.
function tracked(value, where, seen) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(target, key)) {
        const p = `${where}/${key}`;
        seen.add(p);
        return tracked(v, p, seen);
      }
      return v;
    },
  });
}

function unknownFields(value, where, seen, out) {
  if (value === null || typeof value !== 'object') return out;
  for (const key of Object.keys(value)) {
    const p = `${where}/${key}`;
    if (!Array.isArray(value) && !seen.has(p)) out.push(p);
    else unknownFields(value[key], p, seen, out);
  }
  return out;
}

// The kubernetes-models module of an apiVersion/kind: "apps/v1" + Deployment
// -> kubernetes-models/apps/v1/Deployment; "v1" + Service -> .../v1/Service.
async function modelOf(apiVersion, kind) {
  if (!/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

async function checkObject(obj, file, index) {
  const entry = {
    file, index,
    apiVersion: obj?.apiVersion ?? null,
    kind: obj?.kind ?? null,
    name: obj?.metadata?.name ?? null,
    errors: [],
    unknown: [],
    object: obj,
  };
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    entry.errors.push('the document is not a mapping (an object with apiVersion, kind, metadata, ...)');
    return entry;
  }
  if (!entry.apiVersion || !entry.kind) {
    entry.errors.push('apiVersion and kind are required');
    return entry;
  }
  if (entry.kind === 'Kustomization' && entry.apiVersion.startsWith('kustomize.config.k8s.io/')) {
    return entry; // kustomize's own file: test_deploy.py checks its resource list
  }
  const Model = await modelOf(entry.apiVersion, entry.kind);
  if (Model === null) {
    entry.errors.push(`no schema for apiVersion ${entry.apiVersion}, kind ${entry.kind} ` +
                      '(a typo, or a kind that is not part of Kubernetes itself)');
    return entry;
  }
  const model = new Model(obj);
  const seen = new Set();
  try {
    Model.prototype.validate.call(tracked(model, '', seen));
  } catch (e) {
    entry.errors.push(...String(e.message).split(', '));
  }
  entry.unknown = unknownFields(model, '', seen, []);
  return entry;
}

function yamlFiles(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return [p];
  return fs.readdirSync(p)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(p, f));
}

async function main(argv) {
  const asJson = argv.includes('--json');
  const paths = argv.filter((a) => a !== '--json');
  if (paths.length === 0 || paths.some((a) => a.startsWith('--'))) {
    console.error('usage: node check_manifests.mjs [--json] FILE_OR_DIR...');
    return 2;
  }
  const objects = [];
  const problems = [];
  for (const p of paths) {
    let files;
    try {
      files = yamlFiles(p);
    } catch (e) {
      problems.push(`${p}: ${e.message}`);
      continue;
    }
    for (const file of files) {
      let docs;
      try {
        docs = yaml.loadAll(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        problems.push(`${file}: not valid YAML: ${e.message.split('\n')[0]}`);
        continue;
      }
      let index = 0;
      for (const doc of docs) {
        if (doc === null || doc === undefined) continue; // an empty document
        objects.push(await checkObject(doc, file, index++));
      }
      if (index === 0) problems.push(`${file}: holds no object`);
    }
  }
  const bad = problems.length + objects.filter((o) => o.errors.length || o.unknown.length).length;
  if (asJson) {
    process.stdout.write(JSON.stringify({ objects, problems }) + '\n');
  } else {
    for (const o of objects) {
      const what = `${o.file}: ${o.kind ?? '?'} ${o.name ?? '?'}`;
      if (!o.errors.length && !o.unknown.length) console.log(`ok    ${what}`);
      for (const e of o.errors) console.log(`FAIL  ${what}: ${e}`);
      for (const u of o.unknown) console.log(`FAIL  ${what}: unknown field ${u}`);
    }
    for (const p of problems) console.log(`FAIL  ${p}`);
  }
  return bad === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
