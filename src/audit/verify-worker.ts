// Worker-thread entry for parallel verification: checks the chunks of binary COPY rows it is sent, in the
// order sent, with the trusted checkpoint heads it was started with. Runs only as compiled JavaScript.
import { parentPort, workerData } from "node:worker_threads";
import { checkChunk } from "./verify-rows";

const signed = new Map<number, string>((workerData as { signed: Array<[number, string]> }).signed);

parentPort!.on("message", (m: { id: number; chunk: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id: m.id, result: checkChunk(m.chunk, signed) });
  } catch (error) {
    // A malformed COPY stream is a fault of the reader, not a finding: the main thread fails the run.
    parentPort!.postMessage({ id: m.id, error: error instanceof Error ? error.message : String(error) });
  }
});
