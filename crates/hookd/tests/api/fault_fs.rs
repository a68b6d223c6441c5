//! A pass-through FUSE file system over a real directory, with a switch that makes it answer every write
//! `EROFS` (as a file system remounted read-only does) and a switch back.
//!
//! The kernel refuses `mount -o remount,ro` while a process holds a file open for writing, and the one way
//! it turns such a file system read-only anyway (ext4 after an error) lasts until the next mount. This file
//! system is how a test makes write access go away under a running `hookd` and come back without a
//! restart: every request reaches a real file under `backing`, and while read-only is on, opening for
//! writing, writing, truncating, creating, removing, renaming and syncing fail with `EROFS` while reads go
//! on. Files are served through the page cache, so SQLite's shared-memory file can be mapped.

use std::{
    collections::HashMap,
    ffi::OsStr,
    fs::{self, File, OpenOptions},
    io,
    os::unix::{
        fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt},
        io::AsRawFd,
    },
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use fuser::{
    FileAttr, FileType, Filesystem, MountOption, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
};
use nix::libc;

/// How long the kernel may keep attributes and names; every change goes through this mount, so what it
/// keeps stays right.
const TTL: Duration = Duration::from_secs(1);

/// A mounted [`PassThrough`]; unmounted (lazily) on drop.
pub struct FaultFs {
    session: Option<fuser::BackgroundSession>,
    read_only: Arc<AtomicBool>,
}

impl FaultFs {
    /// Mounts a pass-through of `backing` (a directory) at `mountpoint`. Needs root.
    pub fn mount(backing: &Path, mountpoint: &Path) -> io::Result<Self> {
        let read_only = Arc::new(AtomicBool::new(false));
        let fs = PassThrough {
            root: backing.to_path_buf(),
            read_only: read_only.clone(),
            paths: HashMap::from([(fuser::FUSE_ROOT_ID, PathBuf::new())]),
            inodes: HashMap::from([(PathBuf::new(), fuser::FUSE_ROOT_ID)]),
            next_ino: fuser::FUSE_ROOT_ID + 1,
            files: HashMap::new(),
            next_fh: 1,
        };
        let options = [
            MountOption::FSName("hookd-fault-fs".into()),
            MountOption::RW,
        ];
        let session = fuser::spawn_mount2(fs, mountpoint, &options)?;
        Ok(Self {
            session: Some(session),
            read_only,
        })
    }

    /// Turns read-only on (every write answers `EROFS`) or off.
    pub fn set_read_only(&self, on: bool) {
        self.read_only.store(on, Ordering::SeqCst);
    }
}

impl Drop for FaultFs {
    fn drop(&mut self) {
        // Dropping the session unmounts (detached, so a process still holding a file cannot keep it).
        drop(self.session.take());
    }
}

/// The file system: inode numbers of its own, mapped to paths under `root`.
struct PassThrough {
    root: PathBuf,
    read_only: Arc<AtomicBool>,
    /// Inode → path relative to `root` (kept after an unlink, while the file may still be open).
    paths: HashMap<u64, PathBuf>,
    inodes: HashMap<PathBuf, u64>,
    next_ino: u64,
    files: HashMap<u64, File>,
    next_fh: u64,
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn time(secs: i64, nanos: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs as u64, nanos as u32)
    } else {
        UNIX_EPOCH
    }
}

fn attr(ino: u64, m: &fs::Metadata) -> FileAttr {
    let kind = if m.is_dir() {
        FileType::Directory
    } else if m.file_type().is_symlink() {
        FileType::Symlink
    } else {
        FileType::RegularFile
    };
    FileAttr {
        ino,
        size: m.size(),
        blocks: m.blocks(),
        atime: time(m.atime(), m.atime_nsec()),
        mtime: time(m.mtime(), m.mtime_nsec()),
        ctime: time(m.ctime(), m.ctime_nsec()),
        crtime: UNIX_EPOCH,
        kind,
        perm: (m.mode() & 0o7777) as u16,
        nlink: m.nlink() as u32,
        uid: m.uid(),
        gid: m.gid(),
        rdev: m.rdev() as u32,
        blksize: m.blksize() as u32,
        flags: 0,
    }
}

impl PassThrough {
    /// `Err(EROFS)` while read-only is on.
    fn writable(&self) -> Result<(), i32> {
        if self.read_only.load(Ordering::SeqCst) {
            Err(libc::EROFS)
        } else {
            Ok(())
        }
    }

    fn relative(&self, ino: u64) -> Result<PathBuf, i32> {
        self.paths.get(&ino).cloned().ok_or(libc::ENOENT)
    }

    fn child(&self, parent: u64, name: &OsStr) -> Result<PathBuf, i32> {
        Ok(self.relative(parent)?.join(name))
    }

    fn real(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }

    /// The inode number for `relative`, made on first sight.
    fn ino(&mut self, relative: &Path) -> u64 {
        if let Some(&ino) = self.inodes.get(relative) {
            return ino;
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(relative.to_path_buf(), ino);
        self.paths.insert(ino, relative.to_path_buf());
        ino
    }

    fn entry(&mut self, relative: &Path) -> Result<FileAttr, i32> {
        let m = fs::symlink_metadata(self.real(relative)).map_err(|e| errno(&e))?;
        let ino = self.ino(relative);
        Ok(attr(ino, &m))
    }

    fn stat(&self, ino: u64, fh: Option<u64>) -> Result<FileAttr, i32> {
        let m = match fh.and_then(|fh| self.files.get(&fh)) {
            Some(file) => file.metadata(),
            None => fs::symlink_metadata(self.real(&self.relative(ino)?)),
        };
        m.map(|m| attr(ino, &m)).map_err(|e| errno(&e))
    }

    fn keep(&mut self, file: File) -> u64 {
        let fh = self.next_fh;
        self.next_fh += 1;
        self.files.insert(fh, file);
        fh
    }

    fn file(&self, fh: u64) -> Result<&File, i32> {
        self.files.get(&fh).ok_or(libc::EBADF)
    }

    /// Forgets the name `relative` (removed, or renamed away); an open file keeps its inode.
    fn forget_name(&mut self, relative: &Path) {
        self.inodes.remove(relative);
    }

    /// Removes the entry `name` of `parent` with `remove` (a file's or a directory's).
    fn remove(
        &mut self,
        parent: u64,
        name: &OsStr,
        remove: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<(), i32> {
        self.writable()?;
        let relative = self.child(parent, name)?;
        remove(&self.real(&relative)).map_err(|e| errno(&e))?;
        self.forget_name(&relative);
        Ok(())
    }

    fn set(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        size: Option<u64>,
        fh: Option<u64>,
    ) -> Result<FileAttr, i32> {
        if mode.is_some() || size.is_some() {
            self.writable()?;
        }
        let real = self.real(&self.relative(ino)?);
        if let Some(mode) = mode {
            fs::set_permissions(&real, fs::Permissions::from_mode(mode & 0o7777))
                .map_err(|e| errno(&e))?;
        }
        if let Some(size) = size {
            match fh.and_then(|fh| self.files.get(&fh)) {
                Some(file) => file.set_len(size),
                None => OpenOptions::new()
                    .write(true)
                    .open(&real)
                    .and_then(|f| f.set_len(size)),
            }
            .map_err(|e| errno(&e))?;
        }
        self.stat(ino, fh)
    }
}

impl Filesystem for PassThrough {
    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        match self.child(parent, name).and_then(|p| self.entry(&p)) {
            Ok(a) => reply.entry(&TTL, &a, 0),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, fh: Option<u64>, reply: ReplyAttr) {
        match self.stat(ino, fh) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<u64>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<u32>,
        reply: ReplyAttr,
    ) {
        match self.set(ino, mode, size, fh) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let made = self.writable().and_then(|()| {
            let relative = self.child(parent, name)?;
            let real = self.real(&relative);
            fs::create_dir(&real).map_err(|e| errno(&e))?;
            fs::set_permissions(&real, fs::Permissions::from_mode(mode & !umask & 0o7777))
                .map_err(|e| errno(&e))?;
            self.entry(&relative)
        });
        match made {
            Ok(a) => reply.entry(&TTL, &a, 0),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        match self.remove(parent, name, |path| fs::remove_file(path)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        match self.remove(parent, name, |path| fs::remove_dir(path)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: u32,
        reply: ReplyEmpty,
    ) {
        let renamed = self.writable().and_then(|()| {
            if flags != 0 {
                return Err(libc::EINVAL);
            }
            let from = self.child(parent, name)?;
            let to = self.child(newparent, newname)?;
            fs::rename(self.real(&from), self.real(&to)).map_err(|e| errno(&e))?;
            self.forget_name(&to);
            if let Some(ino) = self.inodes.remove(&from) {
                self.inodes.insert(to.clone(), ino);
                self.paths.insert(ino, to);
            }
            Ok(())
        });
        match renamed {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&mut self, _req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        let access = flags & libc::O_ACCMODE;
        let opened = (if access == libc::O_RDONLY {
            Ok(())
        } else {
            self.writable()
        })
        .and_then(|()| {
            let real = self.real(&self.relative(ino)?);
            OpenOptions::new()
                .read(access != libc::O_WRONLY)
                .write(access != libc::O_RDONLY)
                .open(real)
                .map_err(|e| errno(&e))
        });
        match opened {
            Ok(file) => {
                let fh = self.keep(file);
                reply.opened(fh, 0)
            }
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let created = self.writable().and_then(|()| {
            let relative = self.child(parent, name)?;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .create_new(flags & libc::O_EXCL != 0)
                .truncate(flags & libc::O_TRUNC != 0)
                .mode(mode & !umask & 0o7777)
                .open(self.real(&relative))
                .map_err(|e| errno(&e))?;
            let a = self.entry(&relative)?;
            Ok((a, file))
        });
        match created {
            Ok((a, file)) => {
                let fh = self.keep(file);
                reply.created(&TTL, &a, 0, fh, 0)
            }
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        let read = self.file(fh).and_then(|file| {
            let mut buf = vec![0; size as usize];
            let mut filled = 0;
            while filled < buf.len() {
                match file.read_at(&mut buf[filled..], offset as u64 + filled as u64) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(errno(&e)),
                }
            }
            buf.truncate(filled);
            Ok(buf)
        });
        match read {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        let written = self.writable().and_then(|()| {
            self.file(fh)?
                .write_all_at(data, offset as u64)
                .map_err(|e| errno(&e))
        });
        match written {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(e),
        }
    }

    fn flush(&mut self, _req: &Request<'_>, _ino: u64, _fh: u64, _owner: u64, reply: ReplyEmpty) {
        reply.ok();
    }

    fn release(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        _flags: i32,
        _lock_owner: Option<u64>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.files.remove(&fh);
        reply.ok();
    }

    fn fsync(&mut self, _req: &Request<'_>, _ino: u64, fh: u64, datasync: bool, reply: ReplyEmpty) {
        // A read-only file system cannot promise that anything reached the disk.
        let synced = self.writable().and_then(|()| {
            let file = self.file(fh)?;
            if datasync {
                file.sync_data()
            } else {
                file.sync_all()
            }
            .map_err(|e| errno(&e))
        });
        match synced {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsyncdir(&mut self, _req: &Request<'_>, ino: u64, _fh: u64, _ds: bool, reply: ReplyEmpty) {
        let synced = self.writable().and_then(|()| {
            let real = self.real(&self.relative(ino)?);
            File::open(real)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| errno(&e))
        });
        match synced {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        mut reply: ReplyDirectory,
    ) {
        let listed = self.relative(ino).and_then(|relative| {
            let mut names: Vec<_> = fs::read_dir(self.real(&relative))
                .map_err(|e| errno(&e))?
                .filter_map(|entry| entry.ok())
                .map(|entry| {
                    let dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
                    (entry.file_name(), dir)
                })
                .collect();
            names.sort();
            Ok((relative, names))
        });
        let (relative, names) = match listed {
            Ok(listed) => listed,
            Err(e) => return reply.error(e),
        };
        let mut entries = vec![
            (ino, FileType::Directory, ".".into()),
            (ino, FileType::Directory, "..".into()),
        ];
        for (name, dir) in names {
            let child = self.ino(&relative.join(&name));
            let kind = if dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            entries.push((child, kind, name));
        }
        for (i, (child, kind, name)) in entries.into_iter().enumerate().skip(offset as usize) {
            if reply.add(child, i as i64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&mut self, _req: &Request<'_>, _ino: u64, reply: ReplyStatfs) {
        match nix::sys::statvfs::statvfs(&self.root) {
            Ok(s) => reply.statfs(
                s.blocks(),
                s.blocks_free(),
                s.blocks_available(),
                s.files(),
                s.files_free(),
                s.block_size() as u32,
                s.name_max() as u32,
                s.fragment_size() as u32,
            ),
            Err(e) => reply.error(e as i32),
        }
    }

    fn access(&mut self, _req: &Request<'_>, _ino: u64, mask: i32, reply: ReplyEmpty) {
        if mask & libc::W_OK != 0 && self.read_only.load(Ordering::SeqCst) {
            return reply.error(libc::EROFS);
        }
        reply.ok();
    }

    fn fallocate(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        length: i64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let allocated = self.writable().and_then(|()| {
            let fd = self.file(fh)?.as_raw_fd();
            let mode = nix::fcntl::FallocateFlags::from_bits_truncate(mode);
            nix::fcntl::fallocate(fd, mode, offset, length).map_err(|e| e as i32)
        });
        match allocated {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }
}
