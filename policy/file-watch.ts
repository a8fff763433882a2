import { type Stats, unwatchFile, watch, watchFile } from 'node:fs';
import path from 'node:path';

export interface FileWatchOptions {
  /** Stat polling interval: the fallback when fs.watch misses events (network mounts, some editors, containers). */
  pollMs: number;
  /** Editors save in several writes; wait this long after the last event before reacting. */
  debounceMs: number;
  onChange: () => void;
  onWatchError: (err: unknown) => void;
}

/**
 * Calls `onChange` (debounced) whenever `file` may have changed. Watches the containing directory, because
 * editors and config-map updates replace files by rename, which a watch on the file itself loses. Returns stop().
 */
export function watchPolicyFile(file: string, opts: FileWatchOptions): () => void {
  let timer: NodeJS.Timeout | null = null;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      opts.onChange();
    }, opts.debounceMs);
  };
  const base = path.basename(file);
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (!name || name === base) changed();
    });
    watcher.on('error', opts.onWatchError);
  } catch (err) {
    opts.onWatchError(err);
  }
  const onStat = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) changed();
  };
  watchFile(file, { interval: opts.pollMs, persistent: false }, onStat);
  return () => {
    watcher?.close();
    unwatchFile(file, onStat);
    if (timer) clearTimeout(timer);
  };
}
