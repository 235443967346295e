//! A Velocity Template Language engine that renders exactly what Apache Velocity 1.7 renders.

pub mod jdouble;
pub mod lexer;
pub mod parser;
