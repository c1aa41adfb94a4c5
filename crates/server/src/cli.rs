//! `feedlab serve`: flags, their validation into a [`Config`], and the process around [`crate::run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use feedlab_contract::{Transport, units};

use crate::config::{self, Config, FeedSource};

/// Default port: not 8080 or 3000, which other tools on a teacher's laptop often hold.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8470";

/// Serve the feed through all four transports and the classroom page.
///
/// Open http://127.0.0.1:8470/ for the page. Endpoints: /poll, /longpoll, /sse, /ws, /echo,
/// POST /messages, /stats, /metrics, /time, /inspect, /settings. Prints one line
/// `feedlab listening on http://ADDR` on stdout once bound (use --addr 127.0.0.1:0 for a free port).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,

    /// Built-in ticker messages, e.g. `2/s`, `30/min`, `1/100ms`, `0` (off); at most 1000/s. Changeable live
    /// via POST /settings.
    #[arg(long, default_value = "0", value_parser = parse_ticker)]
    pub ticker: f64,

    /// Also allow this browser Origin on /ws and /sse (repeatable; `*` allows any). Same host and
    /// localhost are always allowed; requests without Origin (non-browsers) are always allowed.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// Switch a transport off (repeatable or comma-separated): it answers 404, to demonstrate a client
    /// falling back.
    #[arg(long, value_name = "TRANSPORT", value_delimiter = ',', value_parser = transport_parser())]
    pub disable: Vec<Transport>,

    /// Messages kept for clients that reconnect; an older cursor gets an explicit `gap`.
    #[arg(long, default_value_t = feedlab_feed::DEFAULT_RETENTION as u64, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub retention: u64,

    /// Open SSE/WebSocket connections plus held long-polls before new ones get 503 + Retry-After.
    #[arg(long, default_value_t = config::DEFAULT_MAX_STREAMS)]
    pub max_streams: usize,

    /// Cap on /poll + /longpoll requests per second; past it, 503 + Retry-After (0 = no cap).
    #[arg(long, default_value_t = 0)]
    pub max_rps: u32,

    /// Chat messages per second per client before 429 (0 = no limit).
    #[arg(long, default_value_t = config::DEFAULT_PUBLISH_PER_CLIENT_PER_S)]
    pub publish_rate: u32,

    /// When set, POST /settings and a full POST /stats/reset need `Authorization: Bearer <TOKEN>`.
    #[arg(long, env = "FEEDLAB_PUBLISH_TOKEN", hide_env_values = true)]
    pub publish_token: Option<String>,

    /// Directory of `feedlab run` output, served at /results/ for the page's charts tab.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,

    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,

    /// Where the feed lives: `memory` (this process alone), or a Redis shared by several nodes:
    /// `redis://HOST:PORT[/DB]` or `redis+unix:///PATH`. Every node given the same Redis and --feed-key serves
    /// the same messages with the same ids, so a client may use any node.
    #[arg(long, default_value = "memory", value_name = "memory|REDIS_URL", value_parser = parse_feed)]
    pub feed: FeedArg,

    /// Prefix of the feed's Redis keys (`<KEY>:stream`, `<KEY>:seq`, `<KEY>:meta`): one Redis can hold
    /// several feeds.
    #[arg(long, default_value = config::DEFAULT_FEED_KEY, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub feed_key: String,

    /// Listen with SO_REUSEPORT, so that several `feedlab serve` processes share one port (the kernel
    /// spreads connections over them); give it to every one of them.
    #[arg(long)]
    pub reuse_port: bool,
}

/// `--feed`: the embedded feed, or a Redis URL that parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedArg {
    /// `memory`.
    Memory,
    /// A Redis URL.
    Redis(String),
}

/// `--feed`'s values: `memory`, or a URL the redis crate accepts.
fn parse_feed(text: &str) -> Result<FeedArg, String> {
    if text == "memory" {
        return Ok(FeedArg::Memory);
    }
    match redis::Client::open(text) {
        Ok(_) => Ok(FeedArg::Redis(text.to_owned())),
        Err(err) => Err(format!(
            "{text:?} is neither `memory` nor a Redis URL (redis://HOST:PORT[/DB], redis+unix:///PATH): {err}"
        )),
    }
}

/// `--ticker`: the contract's rate grammar, then the ticker's range.
fn parse_ticker(text: &str) -> Result<f64, String> {
    crate::state::check_ticker_rate(units::parse_rate(text)?).map_err(|why| format!("{text:?}: {why}"))
}

/// `--disable`'s values: the contract's transports this server serves, so `--help` and a refusal name every
/// one of them.
fn transport_parser() -> impl TypedValueParser<Value = Transport> {
    // unwrap: PossibleValuesParser lets only the names through, and each of them parses.
    clap::builder::PossibleValuesParser::new(Transport::FEEDLAB_NAMES).map(|name| name.parse::<Transport>().unwrap())
}

impl ServeArgs {
    /// The validated server configuration.
    pub fn config(&self) -> Config {
        Config {
            retention: self.retention as usize,
            ticker_per_s: self.ticker,
            allow_origins: self.allow_origin.clone(),
            disabled: self.disable.clone(),
            max_streams: self.max_streams,
            max_requests_per_s: self.max_rps,
            publish_per_client_per_s: self.publish_rate,
            publish_token: self.publish_token.clone().filter(|t| !t.is_empty()),
            results_dir: self.results.clone(),
            workers: self.workers,
            feed: match &self.feed {
                FeedArg::Memory => FeedSource::Memory,
                FeedArg::Redis(url) => FeedSource::Redis { url: url.clone(), key: self.feed_key.clone() },
            },
            ..Config::default()
        }
    }
}

/// Runs `feedlab serve` until Ctrl-C or SIGTERM.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let listener = crate::bind(args.addr, args.reuse_port).map_err(|err| {
        let why = match err.kind() {
            std::io::ErrorKind::AddrInUse => "is already in use (pick another with --addr)".to_owned(),
            std::io::ErrorKind::AddrNotAvailable => "is not an address of this machine".to_owned(),
            std::io::ErrorKind::PermissionDenied => "needs privileges (use a port above 1023)".to_owned(),
            _ => format!("cannot be bound: {err}"),
        };
        clap::Error::raw(ErrorKind::InvalidValue, format!("--addr {} {why}\n", args.addr))
    })?;
    let addr = listener.local_addr()?;
    // One line on stdout, flushed, so a parent process (the suite, the browser tests) can read the port.
    println!("feedlab listening on http://{addr}");
    use std::io::Write;
    std::io::stdout().flush()?;
    tracing::info!(%addr, "open http://{addr}/ for the classroom page");
    let config = args.config();
    actix_web::rt::System::new().block_on(crate::run(listener, config, crate::shutdown_signal()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// `feedlab serve`'s flags alone, as the binary's parser sees them.
    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(args: &[&str]) -> Result<ServeArgs, String> {
        Serve::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map(|serve| serve.args)
            .map_err(|err| err.to_string())
    }

    #[test]
    fn ticker_takes_the_contract_rate_grammar() {
        assert_eq!(parse(&[]).unwrap().ticker, 0.0);
        for (flag, per_s) in [("2/s", 2.0), ("30/min", 0.5), ("1/100ms", 10.0), ("0", 0.0), ("1000/s", 1000.0)] {
            assert_eq!(parse(&["--ticker", flag]).unwrap().ticker, per_s, "{flag}");
        }
    }

    #[test]
    fn ticker_refusals_name_the_problem() {
        let unit = parse(&["--ticker", "1/fortnight"]).unwrap_err();
        assert!(unit.contains(r#"unknown unit "fortnight""#), "{unit}");
        let range = parse(&["--ticker", "5000/s"]).unwrap_err();
        assert!(range.contains("0 to 1000 messages per second, not 5000"), "{range}");
        for bad in ["fast", "-1/s", "1/0s"] {
            assert!(parse(&["--ticker", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn feed_is_memory_or_a_redis_url() {
        let default = parse(&[]).unwrap();
        assert_eq!((default.feed.clone(), default.config().feed), (FeedArg::Memory, FeedSource::Memory));
        for url in ["redis://127.0.0.1:6379", "redis://db.example:6380/2", "redis+unix:///tmp/redis.sock"] {
            let args = parse(&["--feed", url, "--feed-key", "room"]).unwrap();
            assert_eq!(args.config().feed, FeedSource::Redis { url: url.into(), key: "room".into() }, "{url}");
        }
        assert_eq!(
            parse(&["--feed", "redis://h:1"]).unwrap().config().feed,
            FeedSource::Redis { url: "redis://h:1".into(), key: config::DEFAULT_FEED_KEY.into() }
        );
        for bad in ["redis", "http://127.0.0.1:6379", "redis://127.0.0.1:notaport", "memory://"] {
            let err = parse(&["--feed", bad]).unwrap_err();
            assert!(err.contains(&format!("{bad:?} is neither `memory` nor a Redis URL")), "{err}");
        }
        assert!(parse(&["--feed-key", ""]).is_err());
        assert!(parse(&["--reuse-port"]).unwrap().reuse_port);
    }

    #[test]
    fn disable_takes_the_contract_transports() {
        assert_eq!(parse(&["--disable", "ws,poll"]).unwrap().disable, [Transport::Ws, Transport::Poll]);
        let err = parse(&["--disable", "echo"]).unwrap_err();
        for name in Transport::FEEDLAB_NAMES {
            assert!(err.contains(name), "the refusal names {name}: {err}");
        }
        // Socket.IO's transports are the peer's, not this server's to disable.
        assert!(parse(&["--disable", "socketio-ws"]).is_err());
    }
}
