/**
 * Wake-ups when the change log may have grown. A hint only: a listener reads
 * the log to learn what changed, and a lost or spurious signal costs a delay
 * or a read, never a change.
 */
export interface ChangeSignal {
  /** Calls `listener` after changes may have been committed; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;

  /**
   * Whether anyone on this instance waits for changes now (a watch stream).
   * A storage that announces changes to other instances may do so only
   * while some instance wants them.
   */
  setWanted(wanted: boolean): void;
}
