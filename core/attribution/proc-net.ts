// Linux: which process owns a loopback TCP connection, from its source port. The client's
// socket appears in /proc/net/tcp{,6} with our port as the remote end; its inode leads to the
// process through /proc/<pid>/fd. Parsing is pure; the scan is the only I/O.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Inode of the socket whose local port is `localPort` and remote port `remotePort`. */
export function findSocketInode(procNetText: string, localPort: number, remotePort: number): number | null {
  const lines = procNetText.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = Number.parseInt(cols[1]!.split(":")[1] ?? "", 16);
    const remote = Number.parseInt(cols[2]!.split(":")[1] ?? "", 16);
    if (local === localPort && remote === remotePort) {
      const inode = Number(cols[9]);
      if (inode > 0) return inode;
    }
  }
  return null;
}

export function pidOfInode(inode: number, procRoot = "/proc"): number | null {
  return pidsOfInodes([inode], procRoot).get(inode) ?? null;
}

/** One walk of /proc/<pid>/fd for several socket inodes; it stops once every one is found. */
export function pidsOfInodes(inodes: readonly number[], procRoot = "/proc"): Map<number, number> {
  const found = new Map<number, number>();
  const wanted = new Map<string, number>(inodes.map((i) => [`socket:[${i}]`, i]));
  let pids: string[];
  try {
    // Newest first: the caller is most often a process just started (curl, a CLI run).
    pids = readdirSync(procRoot)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return found;
  }
  for (const pid of pids) {
    if (found.size === wanted.size) break;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        const inode = wanted.get(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
        if (inode !== undefined && !found.has(inode)) found.set(inode, Number(pid));
      } catch {}
    }
  }
  return found;
}

/** Runs `find` over /proc/net/tcp, then tcp6: the first socket inode it finds. */
export function inodeFromProcNet(find: (procNetText: string) => number | null, procRoot = "/proc"): number | null {
  for (const file of ["net/tcp", "net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${file}`, "utf8");
    } catch {
      continue;
    }
    const inode = find(text);
    if (inode !== null) return inode;
  }
  return null;
}

/** The pid of the process whose socket has source port `clientPort` connected to `serverPort`. */
export function pidForConnection(clientPort: number, serverPort: number, procRoot = "/proc"): number | null {
  return pidsForConnections([{ clientPort, serverPort }], procRoot)[0] ?? null;
}

/** Several connections at once: /proc/net read once, /proc/<pid>/fd walked once. */
export function pidsForConnections(conns: ReadonlyArray<{ clientPort: number; serverPort: number }>, procRoot = "/proc"): Array<number | null> {
  const tables: string[] = [];
  for (const file of ["net/tcp", "net/tcp6"]) {
    try {
      tables.push(readFileSync(`${procRoot}/${file}`, "utf8"));
    } catch {}
  }
  const inodes = conns.map((c) => {
    for (const t of tables) {
      const inode = findSocketInode(t, c.clientPort, c.serverPort);
      if (inode !== null) return inode;
    }
    return null;
  });
  const pids = pidsOfInodes(inodes.filter((i): i is number => i !== null), procRoot);
  return inodes.map((i) => (i === null ? null : (pids.get(i) ?? null)));
}
