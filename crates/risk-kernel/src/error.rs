/// Every way the kernel can refuse to give a number. Never a panic, never a wrapped value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A result does not fit its fixed-point type.
    Overflow,
    /// A division by zero was asked for.
    DivisionByZero,
    /// An input is outside its domain; the payload names the field.
    InvalidInput(&'static str),
    /// More positions, groups, collateral balances or scenarios than the fixed capacity.
    CapacityExceeded(&'static str),
}

pub type Result<T> = core::result::Result<T, KernelError>;

impl core::fmt::Display for KernelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KernelError::Overflow => write!(f, "arithmetic overflow"),
            KernelError::DivisionByZero => write!(f, "division by zero"),
            KernelError::InvalidInput(field) => write!(f, "invalid input: {field}"),
            KernelError::CapacityExceeded(what) => write!(f, "capacity exceeded: {what}"),
        }
    }
}
