/**
 * Whether a process of that id is alive on this machine: signal 0 checks without sending anything. One of another
 * user's answers EPERM, and counts as alive. (The embedded server's owner, a portal's upload folders.)
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
