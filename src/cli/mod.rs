//! Command line front end.
