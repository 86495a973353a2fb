//! How a device is tuned to a target state by write pulses: the choice of
//! algorithm (`algorithm=` on `.program` and `.perceptron import=wv`). The
//! algorithms themselves run in `analysis::program`, through the circuit.

/// A tuning algorithm: write-verify (Alibart et al. 2012), incremental step
/// pulse programming, or feed-forward from a calibrated table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    WriteVerify,
    Ispp,
    FeedForward,
}

impl Algorithm {
    pub fn parse(s: &str) -> Option<Algorithm> {
        Some(match s {
            "wv" | "write-verify" | "write_verify" | "alibart" => Algorithm::WriteVerify,
            "ispp" => Algorithm::Ispp,
            "ff" | "feed-forward" | "feedforward" | "feed_forward" => Algorithm::FeedForward,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::WriteVerify => "write-verify",
            Algorithm::Ispp => "ispp",
            Algorithm::FeedForward => "feed-forward",
        }
    }
}
