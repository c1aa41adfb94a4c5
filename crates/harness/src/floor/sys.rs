//! The system calls the floor measurement makes, each wrapped once: thread CPU clocks, the calling thread's
//! user/system split, CPU pinning, epoll, and non-blocking `send()` / `recv()` on raw sockets. Everything
//! `unsafe` of the floor is here, each call with the reason it is sound.

use std::io;
use std::os::fd::RawFd;

/// Seconds of a `timespec`.
fn seconds(ts: libc::timespec) -> f64 {
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Seconds of a `timeval`.
fn seconds_tv(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6
}

/// Reads CPU clock `clock` (a thread's, from [`this_thread_clock`]), in seconds.
pub fn cpu_clock_s(clock: libc::clockid_t) -> io::Result<f64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; an unknown clock is reported as an error.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(seconds(ts))
}

/// The calling thread's CPU-time clock, readable from any thread of the process (so one thread can read
/// another's CPU at the instant it chooses).
pub fn this_thread_clock() -> io::Result<libc::clockid_t> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: pthread_self() is always a valid thread of this process; `clock` is writable.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(clock)
}

/// The calling thread's (user, system) CPU, seconds (`getrusage(RUSAGE_THREAD)`).
pub fn this_thread_user_system_s() -> io::Result<(f64, f64)> {
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((seconds_tv(ru.ru_utime), seconds_tv(ru.ru_stime)))
}

/// The CPUs this process may run on, in increasing order.
pub fn allowed_cpus() -> io::Result<Vec<u32>> {
    // SAFETY: cpu_set_t is a plain bit set; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is valid for writes of size_of::<cpu_set_t>() bytes; pid 0 is the calling thread.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET reads the set within its bounds (CPU_SETSIZE).
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).map(|c| c as u32).collect())
}

/// Pins the calling thread to `cpu`.
pub fn pin_this_thread(cpu: u32) -> io::Result<()> {
    // SAFETY: as in `allowed_cpus`; CPU_SET writes within the set's bounds for cpu < CPU_SETSIZE.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if cpu as usize >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::other(format!("CPU {cpu} is out of range")));
    }
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size given; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// What a non-blocking `send()` or `recv()` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// This many bytes moved (0 from `recv()`: the peer closed).
    Bytes(usize),
    /// The socket's buffer was full (send) or empty (recv).
    WouldBlock,
}

fn transfer(n: isize) -> io::Result<Transfer> {
    if n >= 0 {
        return Ok(Transfer::Bytes(n as usize));
    }
    let err = io::Error::last_os_error();
    match err.kind() {
        io::ErrorKind::WouldBlock => Ok(Transfer::WouldBlock),
        _ => Err(err),
    }
}

/// One non-blocking `send()` of `buf` on `fd` (no SIGPIPE: a closed peer is an error instead).
pub fn send(fd: RawFd, buf: &[u8]) -> io::Result<Transfer> {
    // SAFETY: `buf` is valid for reads of its length; a bad fd is reported as an error.
    transfer(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) })
}

/// One non-blocking `recv()` into `buf` on `fd`.
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<Transfer> {
    // SAFETY: `buf` is valid for writes of its length; a bad fd is reported as an error.
    transfer(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) })
}

/// An epoll instance, closed when dropped.
#[derive(Debug)]
pub struct Epoll {
    fd: RawFd,
}

impl Epoll {
    /// A new epoll instance.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers; a failure is reported through errno.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Epoll { fd })
    }

    /// Watches `fd` for input, level-triggered: a socket with data left unread is reported again.
    pub fn add_readable(&self, fd: RawFd) -> io::Result<()> {
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        // SAFETY: `event` is a valid epoll_event; bad fds are reported as errors.
        if unsafe { libc::epoll_ctl(self.fd, libc::EPOLL_CTL_ADD, fd, &mut event) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Stops watching `fd`.
    pub fn remove(&self, fd: RawFd) {
        // SAFETY: a null event is allowed for EPOLL_CTL_DEL (Linux 2.6.9+); errors are harmless here.
        unsafe { libc::epoll_ctl(self.fd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
    }

    /// Waits up to `timeout_ms` for ready sockets; fills `fds` with them (cleared first).
    pub fn wait(&self, events: &mut [libc::epoll_event], fds: &mut Vec<RawFd>, timeout_ms: i32) -> io::Result<()> {
        fds.clear();
        let max = events.len().min(i32::MAX as usize) as i32;
        // SAFETY: `events` is valid for writes of `max` entries.
        let n = unsafe { libc::epoll_wait(self.fd, events.as_mut_ptr(), max, timeout_ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
        }
        // Copy the field out: epoll_event is packed on x86_64, so no reference into it.
        fds.extend(events[..n as usize].iter().map(|e| {
            let data = e.u64;
            data as RawFd
        }));
        Ok(())
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: the fd is ours and closed once.
        unsafe { libc::close(self.fd) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_threads_cpu_clock_advances_with_work() {
        let clock = this_thread_clock().unwrap();
        let before = cpu_clock_s(clock).unwrap();
        let mut x = 0u64;
        while cpu_clock_s(clock).unwrap() - before < 0.01 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let (user, system) = this_thread_user_system_s().unwrap();
        assert!(user + system > 0.0);
        assert!(!allowed_cpus().unwrap().is_empty());
    }
}
