// Why shrinking stopped early, and how reports say it: data and wording, which report/ may use.

/** What stops an exploration in the middle of a run: its time limit, or Ctrl+C. */
export type CutReason = 'time-limit' | 'interrupted';

/** What ends shrinking early: its run budget, or what stops the exploration. */
export type ShrinkStop = 'shrink-runs' | CutReason;

/** Why shrinking stopped before its moves ran out: a smaller failing schedule may exist. */
export const SHRINK_STOPS: Record<ShrinkStop, string> = {
  'shrink-runs': 'its run budget was spent, and a smaller one may fail too',
  'time-limit': 'the time limit came, and a smaller one may fail too',
  interrupted: 'it was interrupted, and a smaller one may fail too',
};
