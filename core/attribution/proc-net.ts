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
  const needle = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${procRoot}/${pid}/fd/${fd}`) === needle) return Number(pid);
      } catch {}
    }
  }
  return null;
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
  const inode = inodeFromProcNet((text) => findSocketInode(text, clientPort, serverPort), procRoot);
  return inode === null ? null : pidOfInode(inode, procRoot);
}
