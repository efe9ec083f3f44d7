//! The interface every network driver implements, from `xenolith-device` (the layer under
//! the stack that drivers build on): re-exported so that stack users need one import.

pub use xenolith_device::{DeviceStats, NetDevice};
