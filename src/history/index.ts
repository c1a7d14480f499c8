export * from './event.js';
export { pairOperations, validateEvent, eventPlace } from './operations.js';
export { parseHistoryJsonl, parseHistoryJsonlHeader, formatHistoryJsonl, formatHistoryEvent, type HistoryHeader } from './jsonl.js';
export { parseJepsenEdn, parseJepsenLog } from './jepsen.js';
export { readEdn, readEdnForms, ednToJson, EdnKeyword, EdnSymbol, EdnMap, EdnSet, EdnTagged, EdnSyntaxError, type EdnValue, type EdnForm } from './edn.js';
export { readHistoryFile, readPairedHistoryFile, HistoryReadStopped, type ReadHistoryOptions, type PairedHistoryFile, writeHistoryFile, parseHistory, detectHistoryFormat, parseHistoryFormat, HISTORY_FORMATS, type HistoryFormat, type ParsedHistory } from './read.js';
export { HistoryRecorder, PendingOperation, mergeHistories, monotonicMicros, type HistoryRecorderOptions } from './recorder.js';
