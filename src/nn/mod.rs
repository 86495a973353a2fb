//! The neural-network side of the perceptron readout (`.perceptron`): digit
//! data ([`data`]), software training of the single-layer perceptron
//! ([`train`]), conductance levels and quantization error ([`quantize`]),
//! and the import of weights into device states with its error models
//! ([`import`]). The circuit side is `analysis::perceptron`.

pub mod data;
pub mod import;
pub mod quantize;
pub mod train;
