//! The channels traffic is counted on: every transport of the contract this server serves, plus `/echo` and
//! publishing.
//!
//! The transports come from [`Transport::FEEDLAB`], so a transport added to the contract for this server gets
//! its counters, its `/stats` entry and its `/metrics` label here without an edit (a peer's, such as
//! Socket.IO's, is counted by nobody here).

use feedlab_contract::Transport;

/// One way traffic reaches the server, counted apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A feed transport (`GET /poll`, `/longpoll`, `/sse`, `/ws`).
    Transport(Transport),
    /// `GET /echo`: the echo WebSocket.
    Echo,
    /// `POST /messages` and chat frames sent up a `/ws`: publish traffic, kept apart from delivery.
    Publish,
}

impl Channel {
    /// How many channels there are: the transports, echo and publish.
    pub const COUNT: usize = Transport::FEEDLAB.len() + 2;

    /// Every channel, in the order of `/stats` and `/metrics`: the transports in the contract's order, then
    /// echo and publish.
    pub const ALL: [Channel; Channel::COUNT] = {
        let mut all = [Channel::Echo; Channel::COUNT];
        let mut i = 0;
        while i < Transport::FEEDLAB.len() {
            all[i] = Channel::Transport(Transport::FEEDLAB[i]);
            i += 1;
        }
        all[Channel::COUNT - 1] = Channel::Publish;
        all
    };

    /// The name in `/stats`, `/inspect` and the `transport` label of `/metrics`.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Transport(transport) => transport.name(),
            Channel::Echo => "echo",
            Channel::Publish => "publish",
        }
    }

    /// The endpoint whose requests count on this channel.
    pub const fn path(self) -> &'static str {
        match self {
            Channel::Transport(transport) => transport.path(),
            Channel::Echo => "/echo",
            Channel::Publish => "/messages",
        }
    }

    /// The channel of a request path, `None` for the unmetered endpoints (`/stats`, the page, ...).
    pub fn of_path(path: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.path() == path)
    }

    /// Position in [`Channel::ALL`], for arrays indexed by channel. A transport's is its contract index:
    /// [`Transport::FEEDLAB`] is the start of the contract's list.
    pub const fn index(self) -> usize {
        match self {
            Channel::Transport(transport) => transport.index(),
            Channel::Echo => Channel::COUNT - 2,
            Channel::Publish => Channel::COUNT - 1,
        }
    }
}

impl From<Transport> for Channel {
    fn from(transport: Transport) -> Self {
        Channel::Transport(transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_follows_the_contract_then_echo_and_publish() {
        let names: Vec<_> = Channel::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["poll", "longpoll", "sse", "ws", "echo", "publish"]);
        for (i, channel) in Channel::ALL.into_iter().enumerate() {
            assert_eq!(channel.index(), i);
            assert_eq!(Channel::of_path(channel.path()), Some(channel));
        }
        assert_eq!(Channel::of_path("/stats"), None);
        assert_eq!(Channel::from(Transport::Sse).path(), "/sse");
    }
}
