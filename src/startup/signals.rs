//! The signals that stop the server: SIGINT (Ctrl-C) and SIGTERM, in the order they arrive.

/// A signal that stops the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (an orchestrator).
    Terminate,
}

/// Every SIGINT and SIGTERM from now on, in the order they arrive (the handlers are installed
/// before this returns).
#[cfg(unix)]
pub fn signals() -> std::io::Result<tokio::sync::mpsc::Receiver<Signal>> {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (tx, rx) = tokio::sync::mpsc::channel::<Signal>(4);
    for (kind, sent) in [
        (SignalKind::interrupt(), Signal::Interrupt),
        (SignalKind::terminate(), Signal::Terminate),
    ] {
        let mut stream = signal(kind)?;
        let tx = tx.clone();
        actix_web::rt::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(sent).await.is_err() {
                    break;
                }
            }
        });
    }
    Ok(rx)
}

/// Every Ctrl-C from now on.
#[cfg(not(unix))]
pub fn signals() -> std::io::Result<tokio::sync::mpsc::Receiver<Signal>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Signal>(4);
    actix_web::rt::spawn(async move {
        while actix_web::rt::signal::ctrl_c().await.is_ok() {
            if tx.send(Signal::Interrupt).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}
