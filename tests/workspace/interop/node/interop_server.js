// grpc.testing.TestService on @grpc/grpc-js: the pure-JavaScript peer server
// of the interop tests. Implements the server features of gRPC's interop test
// descriptions that the cases of run_interop.py need: EmptyCall, UnaryCall,
// StreamingInputCall, StreamingOutputCall, FullDuplexCall, Echo Status and
// Echo Metadata (not compression, caching or interval_us). UnimplementedCall
// is left out on purpose: grpc-js answers UNIMPLEMENTED for it.
//
//   node interop_server.js --port=0
//
// prints `listening on 127.0.0.1:PORT` once it accepts calls and exits 0 on
// SIGTERM or SIGINT.
'use strict';

const { grpc, loadTesting, parseFlags } = require('./interop_proto');

const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

const zeros = (size) => ({ body: Buffer.alloc(size) });

// Echo Metadata: sends the initial key back as a header now and returns the
// trailer to end the call with.
function echoMetadata(call) {
  const header = new grpc.Metadata();
  const trailer = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_INITIAL)) header.add(ECHO_INITIAL, v);
  for (const v of call.metadata.get(ECHO_TRAILING)) trailer.add(ECHO_TRAILING, v);
  if (header.get(ECHO_INITIAL).length > 0) call.sendMetadata(header);
  return trailer;
}

// Echo Status: the error to end the call with, or null.
function echoStatus(request, trailer) {
  const st = request.response_status;
  if (!st || st.code === 0) return null;
  return { code: st.code, details: st.message, metadata: trailer };
}

// One response per ResponseParameters, in order.
function respond(call, params) {
  for (const p of params) call.write({ payload: zeros(p.size) });
}

const service = {
  EmptyCall(call, callback) {
    callback(null, {});
  },

  UnaryCall(call, callback) {
    const trailer = echoMetadata(call);
    const err = echoStatus(call.request, trailer);
    if (err) return callback(err);
    callback(null, { payload: zeros(call.request.response_size) }, trailer);
  },

  StreamingOutputCall(call) {
    const trailer = echoMetadata(call);
    const err = echoStatus(call.request, trailer);
    if (err) return call.emit('error', err);
    respond(call, call.request.response_parameters);
    call.end(trailer);
  },

  StreamingInputCall(call, callback) {
    let total = 0;
    call.on('data', (req) => {
      total += req.payload ? req.payload.body.length : 0;
    });
    call.on('end', () => callback(null, { aggregated_payload_size: total }));
    call.on('error', () => {});
  },

  FullDuplexCall(call) {
    const trailer = echoMetadata(call);
    let failed = false;
    call.on('data', (req) => {
      if (failed) return; // after Echo Status, no further request is processed
      const err = echoStatus(req, trailer);
      if (err) {
        failed = true;
        call.emit('error', err);
      } else {
        respond(call, req.response_parameters);
      }
    });
    call.on('end', () => {
      if (!failed) call.end(trailer);
    });
    call.on('error', () => {}); // a cancelled client: nothing left to answer
  },
};

function main() {
  const flags = parseFlags(process.argv.slice(2), ['port'], 'node interop_server.js [--port=PORT]');
  const testing = loadTesting();
  const server = new grpc.Server();
  server.addService(testing.TestService.service, service);
  const port = Number(flags.port || 0);
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
    if (err) {
      console.error(`interop_server.js: cannot listen on 127.0.0.1:${port}: ${err.message}`);
      process.exit(1);
    }
    console.log(`listening on 127.0.0.1:${bound}`);
  });
  const stop = () => {
    // Let calls in flight finish for up to a second, then cut them off.
    const force = setTimeout(() => {
      server.forceShutdown();
      process.exit(0);
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
