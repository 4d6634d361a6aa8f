// Runs an ONNX model in ONNX Runtime (onnxruntime-node, its CPU build) on one float32 batch.
//   node run_onnxruntime.js ORT_DIR MODEL.onnx INPUT.bin DIMS OUTPUT.bin
// ORT_DIR: where scripts/install-onnxruntime put node_modules/onnxruntime-node. INPUT.bin: raw
// little-endian float32, shaped DIMS ("64,1,28,28"). Writes the first output as raw float32 to
// OUTPUT.bin and prints one JSON line: the input and output names and the output's dims.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [ortDir, model, input, dims, output] = process.argv.slice(2);
  const ort = require(path.resolve(ortDir, 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const bytes = fs.readFileSync(input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const shape = dims.split(',').map(Number);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const results = await session.run(feeds);
  const out = results[session.outputNames[0]];
  fs.writeFileSync(output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.length * 4));
  console.log(JSON.stringify({ input: session.inputNames[0], output: session.outputNames[0], dims: out.dims }));
}

main().catch((e) => {
  console.error(`run_onnxruntime: ${e.message || e}`);
  process.exit(1);
});
