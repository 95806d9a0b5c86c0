"""Enter the sandbox: namespaces' mounts, limits and an unprivileged user (Linux, as root).

The judge starts the sandbox as ``unshare --pid --fork --mount-proc --net --mount --kill-child
python -m kit.sandbox.child`` when it runs as root (see ``kit.engine.isolation``), so this
process is PID 1 of a PID namespace of its own (``kill(-1)`` reaches only the sandbox),
with no network and a mount namespace. Before any learner code is imported, ``enter``:

- covers every path in ``hide`` (the kit's repository, the judge's working folder, other
  students' submissions, folders the sandbox user could not traverse) with an empty
  tmpfs, then binds back read-only only what the sandbox needs: the interpreter, the
  staged view, the submission; ``/tmp`` and ``/dev/shm`` become fresh size-limited tmpfs;
  the working folder is a private tmpfs of its own;
- sets the process, file-size and core limits;
- drops to the uid reserved for this sandbox (no groups, no new privileges).

``harden`` (every level, root or not) makes the process non-dumpable: another process of
the same uid (a learner's spawned child, which runs without the audit hook) can then
neither ptrace it nor read its ``/proc/PID/mem``, where the channel's key lives. It also
installs a seccomp filter that refuses ptrace, process_vm_readv/writev and the pidfd calls
to the sandbox and everything it starts.

Uses only ``os`` and ``ctypes`` system calls (mount(2), prctl(2)): no external tool. The
entry point drops ``ctypes`` and this module from ``sys.modules`` once it is done, before
any learner code exists: a learner's ``import ctypes`` is then an import the audit hook sees.
"""
import ctypes
import os

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = \
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2

# System calls no sandbox process needs, refused (EPERM) by a seccomp filter: reading or
# writing another process's memory, and signals or descriptors reached through pidfds (which
# raise no audit event: terminate() through a pidfd would go unseen). Per architecture.
_DENY = {
    "x86_64": (0xC000003E, {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
                            "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438}),
    "aarch64": (0xC00000B7, {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
                             "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438}),
}
O_PATH = getattr(os, "O_PATH", 0o10000000)

_libc = None


def _sys(name, *args):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    rc = getattr(_libc, name)(*args)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}{args!r}: {os.strerror(err)}")


def _mount(source, target, fstype=None, flags=0, data=None):
    enc = lambda s: None if s is None else os.fsencode(s)
    _sys("mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def enter(spec: dict) -> None:
    """``spec``: uid, gid, hide, keep (read-only), write (kept writable), work, nproc, fsize, tmp_mb, mounts."""
    if spec.get("mounts", True):
        _cover(spec)
    else:
        os.chdir(spec["work"])
    import resource
    resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (spec["fsize"], spec["fsize"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setresgid(spec["gid"], spec["gid"], spec["gid"])
    os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    os.environ["TMPDIR"] = spec["work"]
    os.environ["HOME"] = spec["work"]


def harden() -> None:
    """No new privileges, not dumpable, and the seccomp filter (see the module docstring).
    Linux only; else nothing."""
    if not os.path.exists("/proc/self"):
        return
    for option in (PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE):
        value = 1 if option == PR_SET_NO_NEW_PRIVS else 0
        _sys("prctl", option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    _seccomp()


def _seccomp() -> None:
    """Install the filter refusing ``_DENY``'s calls (inherited by every child, kept across exec)."""
    arch = _DENY.get(os.uname().machine)
    if arch is None:
        return  # an architecture we have no numbers for: the audit hook and the uid still hold
    audit_arch, calls = arch

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    nrs = sorted(calls.values())
    code = [(LD, 0, 0, 4),                        # seccomp_data.arch
            (JEQ, 1, 0, audit_arch), (RET, 0, 0, ALLOW),
            (LD, 0, 0, 0),                        # seccomp_data.nr
            (JGE, len(nrs) + 1, 0, 0x40000000)]   # the x32 numbering: refused too
    for i, nr in enumerate(nrs):
        code.append((JEQ, len(nrs) - i, 0, nr))   # to the DENY at the end
    code += [(RET, 0, 0, ALLOW), (RET, 0, 0, DENY)]
    table = (Filter * len(code))(*[Filter(*c) for c in code])
    prog = Program(len(code), table)
    _sys("prctl", PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(prog),
         ctypes.c_ulong(0), ctypes.c_ulong(0))


def _cover(spec: dict) -> None:
    """In this mount namespace: empty tmpfs over ``hide``, what is kept bound back read-only."""
    _mount(None, "/", flags=MS_REC | MS_PRIVATE)
    keep = [(p, False) for p in spec["keep"]] + [(p, True) for p in spec["write"]]
    keep = [(os.path.realpath(p), w) for p, w in keep if os.path.exists(p)]
    # Open what we keep before covering it: bind mounts are made from these handles afterwards.
    handles = [(p, w, os.open(p, O_PATH | os.O_CLOEXEC)) for p, w in keep]
    hide = sorted({os.path.realpath(h) for h in spec["hide"] + ["/tmp", "/dev/shm"] if os.path.isdir(h)})
    outer = [h for h in hide if not any(h != o and _inside(h, o) for o in hide)]
    # Nothing the sandbox can write, and not the submission either, may hold code to execute
    # or map as code (a .so written at run time would run native code no audit event sees).
    noexec = {os.path.realpath(p) for p in spec.get("noexec", ())}
    for h in outer:
        mode = "1777" if h in ("/tmp", "/dev/shm") else "755"
        _mount("tmpfs", h, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={spec['tmp_mb']}m,mode={mode}")
    for path, writable, fd in sorted(handles, key=lambda x: x[0]):
        if not any(_inside(path, h) for h in outer):
            os.close(fd)
            continue
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(f"/proc/self/fd/{fd}", path, flags=MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV
        flags |= 0 if writable else MS_RDONLY
        flags |= MS_NOEXEC if writable or path in noexec else 0
        _mount(None, path, flags=flags)
        os.close(fd)
    work = spec["work"]
    os.makedirs(work, exist_ok=True)
    _mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={spec['tmp_mb']}m,mode=700")
    os.chown(work, spec["uid"], spec["gid"])
    os.chdir(work)
