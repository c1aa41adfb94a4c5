//! Sockets: how many this process can open, which source addresses they use, and connecting them.
//!
//! Two limits bound a load generator on one machine. The open-file limit (`ulimit -n`, 20,000 here and
//! not raisable) caps sockets: one per client, three with the `--rtt` relay (client side, and the relay's
//! two ends). The ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`, about 28,000 ports)
//! caps connections per source address. Past the first the harness refuses with the reason; past the
//! second it binds sockets to several loopback source addresses (127.0.0.1, 127.0.0.2, ...: all of
//! 127.0.0.0/8 is local on Linux) before connecting, or refuses if the target is not on loopback.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::{TcpSocket, TcpStream};

use crate::Error;

/// File descriptors kept free for everything that is not a client socket (the publisher's connections, up to
/// 32; relay listener, stdio, the runtime's own), so a run at the limit does not fail on its last few
/// connections.
pub const FD_RESERVE: u64 = 64;

/// Share of the ephemeral port range the harness plans to use per source address: the rest is left for
/// other programs and for ports still in TIME_WAIT.
const PORT_SHARE: f64 = 0.9;

/// Ports in the Linux default range (32768..=60999), when the real range cannot be read.
const DEFAULT_PORT_RANGE: u64 = 28_232;

/// The soft open-file limit of this process, from `/proc/self/limits` (None if unknown).
pub fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Number of ephemeral ports the kernel hands out per source address.
pub fn ephemeral_ports() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            let mut it = t.split_whitespace().map(|n| n.parse::<u64>());
            match (it.next(), it.next()) {
                (Some(Ok(lo)), Some(Ok(hi))) if hi >= lo => Some(hi - lo + 1),
                _ => None,
            }
        })
        .unwrap_or(DEFAULT_PORT_RANGE)
}

/// Checks that `clients` client sockets fit this process's limits and returns the source addresses they
/// bind to: `given` (`--source-addr`) when it is enough, loopback addresses picked here when one address's
/// ports are not enough and `target` is on loopback, none (the kernel picks) when one address will do.
/// `relay`: the `--rtt` relay is in the way (two more sockets and one more port per client).
pub fn plan_sockets(clients: usize, relay: bool, target: IpAddr, given: &[IpAddr]) -> Result<Vec<IpAddr>, Error> {
    Ok(plan_processes(&[clients], relay, target, given)?.pop().unwrap_or_default())
}

/// [`plan_sockets`] for clients spread over several processes (`--procs`), `shares[i]` in process `i`:
/// the open-file limit is per process (each is checked on its share, and named), the ports per source
/// address are the machine's. So when one address carries every client, none is bound (the kernel picks);
/// otherwise each process gets addresses of its own: its part of `given`, round-robin (all of them, shared,
/// when there are fewer than processes), or its own loopback addresses, numbered on from the last process's.
pub fn plan_processes(
    shares: &[usize],
    relay: bool,
    target: IpAddr,
    given: &[IpAddr],
) -> Result<Vec<Vec<IpAddr>>, Error> {
    let fds_per_client: u64 = if relay { 3 } else { 1 };
    let procs = shares.len();
    let who = |i: usize| if procs > 1 { format!("worker {} of {procs}: ", i + 1) } else { String::new() };
    if let Some(limit) = open_file_limit() {
        for (i, &share) in shares.iter().enumerate() {
            let clients = share as u64;
            let needed = clients * fds_per_client + FD_RESERVE;
            if needed > limit {
                let max = limit.saturating_sub(FD_RESERVE) / fds_per_client;
                return Err(Error::Config(format!(
                    "{}{clients} clients need about {needed} open files ({fds_per_client} socket(s) per client{}, \
                     plus {FD_RESERVE} spare) but this process may open only {limit} (ulimit -n). Run at most {max} \
                     clients per harness process, or split the load over several processes (--procs).",
                    who(i),
                    if relay { ": the --rtt relay holds two more" } else { "" }
                )));
            }
        }
    }
    // With the relay, each client uses a port towards the relay and the relay one towards the server.
    let ports = |clients: usize| clients as u64 * if relay { 2 } else { 1 };
    let per_addr = (((ephemeral_ports() as f64) * PORT_SHARE) as u64).max(1);
    let clients: u64 = shares.iter().map(|&s| s as u64).sum();
    let addrs_needed = ports(clients as usize).div_ceil(per_addr);
    if !given.is_empty() {
        if procs == 1 || given.len() < procs {
            // One process, or addresses shared by every process: their ports are what all clients share.
            if (given.len() as u64) < addrs_needed {
                return Err(Error::Config(format!(
                    "{clients} clients need {addrs_needed} source addresses (about {per_addr} ports each) but \
                     --source-addr gives {}",
                    given.len()
                )));
            }
            return Ok(vec![given.to_vec(); procs]);
        }
        let mut plans = Vec::with_capacity(procs);
        for (i, &share) in shares.iter().enumerate() {
            let mine: Vec<IpAddr> = given.iter().skip(i).step_by(procs).copied().collect();
            let needed = ports(share).div_ceil(per_addr);
            if (mine.len() as u64) < needed {
                return Err(Error::Config(format!(
                    "{}{share} clients need {needed} source addresses (about {per_addr} ports each) but get {} of \
                     the {} --source-addr (split round-robin over the workers)",
                    who(i),
                    mine.len(),
                    given.len()
                )));
            }
            plans.push(mine);
        }
        return Ok(plans);
    }
    if addrs_needed <= 1 {
        return Ok(vec![Vec::new(); procs]);
    }
    if !target.is_loopback() {
        return Err(Error::Config(format!(
            "{clients} clients need {addrs_needed} source addresses (about {per_addr} ephemeral ports each) and \
             the target is not on loopback, so the harness cannot pick them itself: pass --source-addr once per \
             local address to use"
        )));
    }
    let mut next = 1u64;
    let mut plans = Vec::with_capacity(procs);
    for &share in shares {
        let n = ports(share).div_ceil(per_addr).max(1);
        if next + n - 1 > 254 {
            return Err(Error::Config(format!("{clients} clients would need more than 254 loopback source addresses")));
        }
        plans.push((next..next + n).map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i as u8))).collect());
        next += n;
    }
    Ok(plans)
}

/// Opens client sockets towards one address (the server, or the relay in front of it).
#[derive(Debug, Clone)]
pub struct Connector {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Source addresses, client `i` uses `sources[i % len]`; empty = the kernel picks.
    pub sources: Arc<[IpAddr]>,
}

impl Connector {
    /// Connects for client number `client`. Nagle is off: requests are single writes and a harness that
    /// waits 40 ms for a delayed ACK would measure itself.
    pub async fn connect(&self, client: usize) -> io::Result<TcpStream> {
        let socket = if self.addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        if !self.sources.is_empty() {
            socket.bind(SocketAddr::new(self.sources[client % self.sources.len()], 0))?;
        }
        let stream = socket.connect(self.addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn refuses_past_the_open_file_limit_with_the_reason() {
        let Some(limit) = open_file_limit() else { return };
        let err = plan_sockets(limit as usize, false, LOOPBACK, &[]).unwrap_err().to_string();
        assert!(err.contains("ulimit -n"), "{err}");
        let sources = plan_sockets(10, false, LOOPBACK, &[]).unwrap();
        assert!(sources.is_empty());
    }

    #[test]
    fn the_open_file_limit_is_checked_per_worker_and_names_it() {
        let Some(limit) = open_file_limit() else { return };
        let share = limit as usize;
        let err = plan_processes(&[10, share], false, LOOPBACK, &[]).unwrap_err().to_string();
        assert!(err.starts_with(&format!("worker 2 of 2: {share} clients need")), "{err}");
        assert!(err.contains("--procs"), "{err}");
        // The same clients over more workers fit.
        let half = (limit - FD_RESERVE) as usize / 2;
        assert!(plan_processes(&[half, half], false, LOOPBACK, &[]).is_ok());
    }

    #[test]
    fn processes_get_addresses_of_their_own_only_when_one_is_not_enough() {
        let ports = ephemeral_ports() as usize;
        // Few clients: nobody binds.
        assert_eq!(plan_processes(&[4, 3, 3], false, LOOPBACK, &[]).unwrap(), vec![Vec::<IpAddr>::new(); 3]);
        let a = |i: u8| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i));
        // Given addresses are split round-robin, or shared when there are fewer than workers.
        let given = [a(10), a(11), a(12), a(13)];
        assert_eq!(
            plan_processes(&[2, 2], false, LOOPBACK, &given).unwrap(),
            vec![vec![a(10), a(12)], vec![a(11), a(13)]]
        );
        assert_eq!(plan_processes(&[2, 2, 2, 2, 2], false, LOOPBACK, &given[..1]).unwrap()[4], vec![a(10)]);
        // Two workers whose shares fit one address each but not together: one address each, disjoint.
        let half = ports * 6 / 10;
        match plan_processes(&[half, half], false, LOOPBACK, &[]) {
            Ok(plans) => assert_eq!(plans, vec![vec![a(1)], vec![a(2)]]),
            // A machine whose open-file limit is lower than the share refuses, naming the worker.
            Err(e) => assert!(e.to_string().contains("worker 1 of 2"), "{e}"),
        }
    }

    #[test]
    fn spreads_over_loopback_addresses_past_the_port_range() {
        match plan_sockets((ephemeral_ports() + 10) as usize, false, LOOPBACK, &[]) {
            // A machine whose open-file limit allows this many sockets gets two or more source addresses.
            Ok(sources) => assert!(sources.len() >= 2),
            Err(e) => assert!(e.to_string().contains("open files"), "{e}"),
        }
    }
}
