// What the grpc-js interop server and client share: the grpc.testing package,
// loaded at run time by @grpc/proto-loader from Debian's grpc-proto files
// (no generated code), and a parser for `--flag=value` / `--flag value` flags.
'use strict';

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.GRPC_PROTO_DIR || '/usr/share/grpc-proto';

function loadTesting() {
  const def = protoLoader.loadSync(['grpc/testing/test.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true, // field names as in the .proto: response_size, not responseSize
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def).grpc.testing;
}

// Parses argv into {flag: value}; exits with a usage message on anything
// that is not one of `known`.
function parseFlags(argv, known, usage) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !known.includes(m[1])) {
      console.error(`unknown argument ${argv[i]}\nusage: ${usage}`);
      process.exit(2);
    }
    flags[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  return flags;
}

module.exports = { grpc, loadTesting, parseFlags };
