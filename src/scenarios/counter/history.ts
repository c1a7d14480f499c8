import type { ProcessId } from '../../history/event.js';
import type { HistoryRecorder } from '../../history/recorder.js';
import type { RecordingOptions } from '../../grpc/recorder.js';

/**
 * How the Counter service's calls read as a history for the `counter` model: `Increment` is `increment`
 * (no value), `GetValue` is `get`, and its ok value is the count.
 */
export function counterRecording(recorder: HistoryRecorder, process?: ProcessId): RecordingOptions {
  return {
    recorder,
    ...(process !== undefined ? { process } : {}),
    describe: (method) => ({ f: method.endsWith('/GetValue') ? 'get' : method.endsWith('/Increment') ? 'increment' : method, value: null }),
    result: (method, response) => (method.endsWith('/GetValue') ? ((response as { value?: number } | undefined)?.value ?? 0) : null),
  };
}
