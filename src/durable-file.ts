// Small file-system helpers for files that must survive a crash: key files and checkpoint files.
import { promises as fs } from "node:fs";

export const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/**
 * fsyncs a directory so a new entry in it (a renamed or linked file) survives a crash. Some platforms
 * cannot fsync a directory; that is all that is skipped.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (error) {
    if (!["EISDIR", "EINVAL", "EPERM", "ENOTSUP"].includes(errno(error) ?? "")) throw error;
  } finally {
    await handle?.close();
  }
}
