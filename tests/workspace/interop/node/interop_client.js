// Interop client on @grpc/grpc-js: runs gRPC's standard interop cases against
// a grpc.testing.TestService server.
//
//   node interop_client.js --server_host=127.0.0.1 --server_port=PORT --test_case=large_unary
//
// Exits 0 when the case passed; otherwise prints `FAIL <case>: wanted ...,
// got ...` on stderr and exits 1. --test_case takes a comma-separated list, or
// `all`. The facts of each case (sizes, keys, codes) are those of gRPC's
// doc/interop-test-descriptions.md.
'use strict';

const { grpc, loadTesting, parseFlags } = require('./interop_proto');

const Status = grpc.status;
const STATUS_NAME = Object.fromEntries(
  Object.entries(Status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]),
);
const ECHO_INITIAL = ['x-grpc-test-echo-initial', 'test_initial_metadata_value'];
const ECHO_TRAILING = ['x-grpc-test-echo-trailing-bin', Buffer.from([0xab, 0xab, 0xab])];
const SPECIAL_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n';

class Failure extends Error {}

const show = (v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : JSON.stringify(v));

function expectEq(what, got, want) {
  const same = Buffer.isBuffer(want) ? Buffer.isBuffer(got) && want.equals(got) : JSON.stringify(got) === JSON.stringify(want);
  if (!same) throw new Failure(`${what}: wanted ${show(want)}, got ${show(got)}`);
}

function expectZeros(what, body, size) {
  expectEq(`${what} size`, body.length, size);
  if (!body.equals(Buffer.alloc(size))) throw new Failure(`${what}: wanted ${size} zero bytes, got non-zero bytes`);
}

function expectStatus(what, status, code, details) {
  expectEq(`${what} status code`, STATUS_NAME[status.code], STATUS_NAME[code]);
  if (details !== undefined) expectEq(`${what} status message`, status.details, details);
}

const zeros = (size) => ({ body: Buffer.alloc(size) });
const sizes = (responses) => responses.map((r) => r.payload.body.length);

// Follows a call: its response header, its status (a promise: grpc-js emits
// 'status' for every call, OK or not), and, for calls that return a stream,
// its responses one at a time (next() gives null at the end or on error).
function follow(call) {
  const t = { header: null };
  call.on('metadata', (md) => {
    t.header = md;
  });
  t.status = new Promise((resolve) => call.on('status', resolve));
  call.on('error', () => {}); // the status carries the error
  if (typeof call.read === 'function') {
    const it = call[Symbol.asyncIterator]();
    t.next = () => it.next().then((r) => (r.done ? null : r.value), () => null);
    t.all = async () => {
      const out = [];
      for (let m = await t.next(); m !== null; m = await t.next()) out.push(m);
      return out;
    };
  }
  return t;
}

class Cases {
  constructor(testing, target, timeoutMs) {
    const creds = grpc.credentials.createInsecure();
    this.stub = new testing.TestService(target, creds);
    this.other = new testing.UnimplementedService(target, creds);
    this.timeoutMs = timeoutMs;
  }

  opts(timeoutMs = this.timeoutMs) {
    return { deadline: new Date(Date.now() + timeoutMs) };
  }

  // A unary call: resolves to {resp, err, header, status}.
  unary(client, method, req, md = new grpc.Metadata()) {
    return new Promise((resolve) => {
      const out = {};
      const call = client[method](req, md, this.opts(), (err, resp) => Object.assign(out, { err, resp }));
      const t = follow(call);
      t.status.then((status) => resolve(Object.assign(out, { status, header: t.header })));
    });
  }

  async expectOk(method, req, md) {
    const r = await this.unary(this.stub, method, req, md);
    expectStatus(method, r.status, Status.OK);
    return r;
  }

  async empty_unary() {
    const r = await this.expectOk('EmptyCall', {});
    expectEq('response', r.resp, {});
  }

  async large_unary() {
    const r = await this.expectOk('UnaryCall', { response_size: 314159, payload: zeros(271828) });
    expectZeros('response payload', r.resp.payload.body, 314159);
  }

  async client_streaming() {
    const out = {};
    const call = this.stub.StreamingInputCall(this.opts(), (err, resp) => Object.assign(out, { err, resp }));
    const t = follow(call);
    for (const n of [27182, 8, 1828, 45904]) call.write({ payload: zeros(n) });
    call.end();
    expectStatus('StreamingInputCall', await t.status, Status.OK);
    expectEq('aggregated_payload_size', out.resp.aggregated_payload_size, 74922);
  }

  async server_streaming() {
    const want = [31415, 9, 2653, 58979];
    const call = this.stub.StreamingOutputCall({ response_parameters: want.map((size) => ({ size })) }, this.opts());
    const t = follow(call);
    const got = await t.all();
    expectStatus('StreamingOutputCall', await t.status, Status.OK);
    expectEq('response sizes', sizes(got), want);
    got.forEach((r, i) => expectZeros(`response ${i + 1}`, r.payload.body, want[i]));
  }

  async ping_pong() {
    const call = this.stub.FullDuplexCall(this.opts());
    const t = follow(call);
    for (const [reqSize, respSize] of [[27182, 31415], [8, 9], [1828, 2653], [45904, 58979]]) {
      call.write({ response_parameters: [{ size: respSize }], payload: zeros(reqSize) });
      const resp = await t.next();
      if (resp === null) {
        const st = await t.status;
        throw new Failure(`wanted a response of ${respSize} bytes, got the end of the stream (${STATUS_NAME[st.code]}: ${st.details})`);
      }
      expectZeros('response payload', resp.payload.body, respSize);
    }
    call.end();
    expectEq('responses after half-close', (await t.all()).length, 0);
    expectStatus('FullDuplexCall', await t.status, Status.OK);
  }

  async empty_stream() {
    const call = this.stub.FullDuplexCall(this.opts());
    const t = follow(call);
    call.end();
    expectEq('number of responses', (await t.all()).length, 0);
    expectStatus('FullDuplexCall', await t.status, Status.OK);
  }

  async cancel_after_begin() {
    const call = this.stub.StreamingInputCall(this.opts(), () => {});
    const t = follow(call);
    call.cancel();
    expectStatus('StreamingInputCall', await t.status, Status.CANCELLED);
  }

  async cancel_after_first_response() {
    const call = this.stub.FullDuplexCall(this.opts());
    const t = follow(call);
    call.write({ response_parameters: [{ size: 31415 }], payload: zeros(27182) });
    const resp = await t.next();
    if (resp === null) throw new Failure('wanted a first response, got the end of the stream');
    expectEq('first response size', resp.payload.body.length, 31415);
    call.cancel();
    expectStatus('FullDuplexCall', await t.status, Status.CANCELLED);
  }

  async timeout_on_sleeping_server() {
    const call = this.stub.FullDuplexCall(this.opts(1));
    const t = follow(call);
    call.write({ payload: zeros(27182) });
    expectStatus('FullDuplexCall', await t.status, Status.DEADLINE_EXCEEDED);
  }

  async echoStatus(message) {
    const status = { code: 2, message };
    const r = await this.unary(this.stub, 'UnaryCall', { response_status: status });
    expectStatus('UnaryCall', r.status, Status.UNKNOWN, message);
    return status;
  }

  async status_code_and_message() {
    const status = await this.echoStatus('test status message');
    const call = this.stub.FullDuplexCall(this.opts());
    const t = follow(call);
    call.write({ response_status: status });
    call.end();
    await t.all();
    expectStatus('FullDuplexCall', await t.status, Status.UNKNOWN, status.message);
  }

  async special_status_message() {
    await this.echoStatus(SPECIAL_MESSAGE);
  }

  async unimplemented_method() {
    const r = await this.unary(this.stub, 'UnimplementedCall', {});
    expectStatus('UnimplementedCall', r.status, Status.UNIMPLEMENTED);
  }

  async unimplemented_service() {
    const r = await this.unary(this.other, 'UnimplementedCall', {});
    expectStatus('UnimplementedService/UnimplementedCall', r.status, Status.UNIMPLEMENTED);
  }

  async custom_metadata() {
    const md = new grpc.Metadata();
    md.add(...ECHO_INITIAL);
    md.add(...ECHO_TRAILING);
    const check = (what, header, trailer) => {
      expectEq(`${what} header ${ECHO_INITIAL[0]}`, header ? header.get(ECHO_INITIAL[0])[0] : undefined, ECHO_INITIAL[1]);
      expectEq(`${what} trailer ${ECHO_TRAILING[0]}`, trailer.get(ECHO_TRAILING[0])[0], ECHO_TRAILING[1]);
    };

    const r = await this.expectOk('UnaryCall', { response_size: 314159, payload: zeros(271828) }, md);
    expectEq('UnaryCall response size', r.resp.payload.body.length, 314159);
    check('UnaryCall', r.header, r.status.metadata);

    const call = this.stub.FullDuplexCall(md, this.opts());
    const t = follow(call);
    call.write({ response_parameters: [{ size: 314159 }], payload: zeros(271828) });
    call.end();
    const got = await t.all();
    const status = await t.status;
    expectStatus('FullDuplexCall', status, Status.OK);
    expectEq('FullDuplexCall response sizes', sizes(got), [314159]);
    check('FullDuplexCall', t.header, status.metadata);
  }
}

const CASE_NAMES = Object.getOwnPropertyNames(Cases.prototype).filter((n) => /^[a-z]+(_[a-z]+)+$/.test(n));

async function main() {
  const usage = 'node interop_client.js --server_port=PORT --test_case=CASE[,CASE...]|all [--server_host=HOST] [--timeout_ms=MS]';
  const flags = parseFlags(process.argv.slice(2), ['server_host', 'server_port', 'test_case', 'timeout_ms'], usage);
  if (!flags.server_port || !flags.test_case) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  const names = flags.test_case === 'all' ? CASE_NAMES : flags.test_case.split(',');
  const unknown = names.filter((n) => !CASE_NAMES.includes(n));
  if (unknown.length) {
    console.error(`interop_client.js: unknown test case ${unknown.join(', ')}; known: ${CASE_NAMES.join(', ')}`);
    process.exit(2);
  }

  const target = `${flags.server_host || '127.0.0.1'}:${flags.server_port}`;
  const cases = new Cases(loadTesting(), target, Number(flags.timeout_ms || 5000));
  let failed = 0;
  for (const name of names) {
    const t0 = process.hrtime.bigint();
    try {
      await cases[name]();
      console.log(`PASS ${name} (${Number((process.hrtime.bigint() - t0) / 1000000n)} ms)`);
    } catch (e) {
      failed++;
      console.error(`FAIL ${name}: ${e instanceof Failure ? e.message : e.stack}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
