// check_manifests.mjs: offline validation of Kubernetes manifests against
// the API schemas bundled in the npm package kubernetes-models (no cluster,
// no API server). tests/workspace/deploy/test_deploy.py runs it; it can also run alone:
//
//   node tests/workspace/deploy/check_manifests.mjs [--json] PATH...
//
// PATH is a .yaml/.yml file or a directory of them. Every YAML document is
// checked: its apiVersion/kind must have a schema, it must validate (types,
// required fields), and it must hold no field the schema does not know (a
// misspelt `readinesProbe` would otherwise pass: the schemas allow extra
// fields, the API server drops them silently). A Kustomization is not an API
// object: it is parsed and passed on, not validated.
//
// Patches: in a directory whose kustomization.yaml lists `patches` (k8s/
// lists serving.yaml, step 7's exercise 8), each document of a patch file is
// merged into the object of the same kind, name and namespace, as `kubectl apply -k`
// does with a strategic merge patch, before that object is checked; the
// patch file is not an object of its own. The merge: mappings merge key by
// key (null deletes), a list whose items all have a `name` (containers, env,
// ports) merges item by item by name into the list it patches (an item with
// a new name is added), other lists and values are replaced.
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

// The strategic merge of `patch` into `base` (see the top of this file).
function merge(base, patch) {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (l) => l.every((x) => x && typeof x === 'object' && typeof x.name === 'string');
    if (!named(patch)) return patch;
    const out = base.slice();
    for (const item of patch) {
      const at = out.findIndex((x) => x && x.name === item.name);
      if (at < 0) out.push(item);
      else out[at] = merge(out[at], item);
    }
    return out;
  }
  const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(patch)) return patch;
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? merge(out[k], v) : v;
  }
  return out;
}

// The patch files a directory's kustomization.yaml lists, as paths.
function patchFiles(dir) {
  const k = path.join(dir, 'kustomization.yaml');
  if (!fs.existsSync(k)) return [];
  const doc = yaml.load(fs.readFileSync(k, 'utf8')) ?? {};
  return (doc.patches ?? []).filter((e) => e && e.path).map((e) => path.join(dir, e.path));
}

function readDocs(file, problems) {
  try {
    return yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d !== null && d !== undefined);
  } catch (e) {
    problems.push(`${file}: not valid YAML: ${e.message.split('\n')[0]}`);
    return null;
  }
}

// Merges the documents of `patches` into `found` ({file, index, doc}), each
// into the one object of its kind and name. Returns nothing; problems are
// pushed.
function applyPatches(found, patches, problems) {
  for (const file of patches) {
    const docs = readDocs(file, problems);
    if (docs === null) continue;
    if (docs.length === 0) problems.push(`${file}: holds no patch`);
    for (const p of docs) {
      const kind = p?.kind, name = p?.metadata?.name;
      // As kustomize matches a patch: kind, name and namespace (none is
      // "default"), so a patch without the object's namespace changes nothing.
      const ns = (d) => d?.metadata?.namespace || 'default';
      const target = found.find((f) => f.doc?.kind === kind && f.doc?.metadata?.name === name &&
                                       ns(f.doc) === ns(p));
      if (!kind || !name || !target) {
        const other = found.find((f) => f.doc?.kind === kind && f.doc?.metadata?.name === name);
        problems.push(`${file}: the patch for ${kind ?? '(no kind)'} ${name ?? '(no name)'} ` +
                      (other ? `${p.metadata.namespace ? 'in namespace ' + ns(p) : 'with no namespace (default)'} ` +
                               `matches no object: ${kind} ${name} is in ` +
                               `namespace ${ns(other.doc)} (a patch names the namespace too)`
                             : 'matches no object of that kind and name in the directory'));
        continue;
      }
      target.doc = merge(target.doc, p);
      target.patchedBy.push(path.basename(file));
    }
  }
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
    let patches = [];
    try {
      files = yamlFiles(p);
      if (fs.statSync(p).isDirectory()) patches = patchFiles(p);
    } catch (e) {
      problems.push(`${p}: ${e.message}`);
      continue;
    }
    const found = [];
    for (const file of files) {
      if (patches.includes(file)) continue; // merged below, not an object
      const docs = readDocs(file, problems);
      if (docs === null) continue;
      docs.forEach((doc, index) => found.push({ file, index, doc, patchedBy: [] }));
      if (docs.length === 0) problems.push(`${file}: holds no object`);
    }
    applyPatches(found, patches, problems);
    for (const f of found) {
      const entry = await checkObject(f.doc, f.file, f.index);
      entry.patchedBy = f.patchedBy;
      objects.push(entry);
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
