//! Rule registry.
