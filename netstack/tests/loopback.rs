//! Two stacks on a simulated wire, run by one executor with a simulated clock: UDP, TCP
//! transfers (also with frame loss), many connections, refusals, timeouts, and sockets
//! released on drop. The proof that the async sockets and the executor work without QEMU.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use xenolith_netstack::sim::{SimMachine, Wire};
use xenolith_netstack::wire::{IpEndpoint, Ipv4Address, Ipv4Cidr};
use xenolith_netstack::{
    Config, Error, Executor, Machine, SocketBuffers, Spawner, Stack, TcpListener, TcpStream,
    UdpSocket,
};

const A: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
const B: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);

struct Net {
    wire: Wire,
    machine: SimMachine,
    a: Stack,
    b: Stack,
    executor: Executor,
}

fn net() -> Net {
    let wire = Wire::new();
    let machine = SimMachine::new(&wire, 7);
    let (end_a, end_b) = wire.ends();
    let config = |address| Config::ipv4(Ipv4Cidr::new(address, 24), None);
    let a = Stack::new(Box::new(end_a), config(A), &machine).unwrap();
    let b = Stack::new(Box::new(end_b), config(B), &machine).unwrap();
    Net {
        wire,
        machine,
        a,
        b,
        executor: Executor::new(),
    }
}

impl Net {
    fn run<F: Future>(&self, future: F) -> F::Output {
        self.executor
            .block_on_stacks(&[&self.a, &self.b], &self.machine, future)
    }
}

/// Polls two futures in one task until both complete.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Polls futures in one task until all complete.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none()
                && let Poll::Ready(v) = future.as_mut().poll(cx)
            {
                *output = Some(v);
            }
        }
        if outputs.iter().all(Option::is_some) {
            Poll::Ready(outputs.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Echoes every connection accepted on `port` of `stack`, one task each.
fn spawn_tcp_echo(spawner: &Spawner, stack: &Stack, port: u16, backlog: usize) {
    let listener = TcpListener::bind(stack, port, backlog).unwrap();
    let task_spawner = spawner.clone();
    spawner.spawn(async move {
        loop {
            let mut stream = listener.accept().await;
            task_spawner.spawn(async move {
                let mut buffer = vec![0; 4096];
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if stream.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                stream.close();
            });
        }
    });
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Sends `data` through an echo at `to` and returns what came back (until the echo closed).
async fn echo_round_trip(stack: &Stack, to: IpEndpoint, data: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(stack, to).await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let send = async {
        for chunk in data.chunks(3000) {
            writer.write_all(chunk).await.unwrap();
        }
        writer.flush().await.unwrap();
        writer.close();
    };
    let receive = async {
        let mut received = Vec::with_capacity(data.len());
        let mut buffer = vec![0; 5000];
        loop {
            match reader.read(&mut buffer).await.unwrap() {
                0 => break received,
                n => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    join(send, receive).await.1
}

#[test]
fn udp_datagrams_both_ways() {
    let net = net();
    let spawner = net.executor.spawner();
    let server = UdpSocket::bind(&net.b, 7).unwrap();
    spawner.spawn(async move {
        let mut buffer = [0; 1500];
        loop {
            let (len, peer) = server.recv_from(&mut buffer).await.unwrap();
            server.send_to(&buffer[..len], peer).await.unwrap();
        }
    });
    net.run(async {
        let client = UdpSocket::bind(&net.a, 0).unwrap();
        assert!(client.port() >= 49152);
        let mut buffer = [0; 1500];
        for size in [0, 1, 100, 1472] {
            let datagram = pattern(size, size as u32);
            client
                .send_to(&datagram, IpEndpoint::new(B.into(), 7))
                .await
                .unwrap();
            let (len, from) = client.recv_from(&mut buffer).await.unwrap();
            assert_eq!(from, IpEndpoint::new(B.into(), 7));
            assert_eq!(&buffer[..len], &datagram[..]);
        }
        // Too small a buffer: the datagram is dropped and reported.
        client.send_to(&[1; 64], (B, 7).into()).await.unwrap();
        let mut small = [0; 16];
        assert_eq!(
            client.recv_from(&mut small).await,
            Err(Error::DatagramTruncated {
                len: 64,
                capacity: 16
            })
        );
        // Larger than the MTU allows: refused at once.
        assert_eq!(
            client.send_to(&[0; 1473], (B, 7).into()).await,
            Err(Error::DatagramTooLarge {
                len: 1473,
                largest: 1472
            })
        );
        // Off-subnet without a gateway.
        assert_eq!(
            client
                .send_to(&[1], (Ipv4Address::new(192, 0, 2, 1), 7).into())
                .await,
            Err(Error::Unreachable(
                (Ipv4Address::new(192, 0, 2, 1), 7).into()
            ))
        );
    });
    assert_eq!(
        UdpSocket::bind(&net.b, 7).unwrap_err(),
        Error::PortInUse {
            protocol: "UDP",
            port: 7
        }
    );
}

#[test]
fn tcp_transfer_of_a_megabyte() {
    let net = net();
    spawn_tcp_echo(&net.executor.spawner(), &net.b, 7, 4);
    let data = pattern(1 << 20, 1);
    let echoed = net.run(echo_round_trip(&net.a, (B, 7).into(), &data));
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "echoed data differs");
    let stats = net.b.stats();
    assert_eq!(stats.tcp_accepted, 1);
    assert_eq!(net.a.stats().tcp_connected, 1);
    // Simulated time: the transfer is not held up by timers (no loss, no stalls).
    assert!(
        net.machine.now() < Duration::from_secs(2),
        "took {:?}",
        net.machine.now()
    );
}

#[test]
fn tcp_transfer_survives_frame_loss() {
    let net = net();
    net.wire.drop_every(23);
    spawn_tcp_echo(&net.executor.spawner(), &net.b, 7, 4);
    let data = pattern(256 * 1024, 2);
    let echoed = net.run(echo_round_trip(&net.a, (B, 7).into(), &data));
    assert!(echoed == data, "echoed data differs");
}

#[test]
fn small_socket_buffers_still_transfer() {
    let net = net();
    let small = SocketBuffers {
        tcp_rx: 2048,
        tcp_tx: 1024,
        ..SocketBuffers::default()
    };
    net.a.set_socket_buffers(small);
    net.b.set_socket_buffers(small);
    spawn_tcp_echo(&net.executor.spawner(), &net.b, 7, 1);
    let data = pattern(64 * 1024, 4);
    let echoed = net.run(echo_round_trip(&net.a, (B, 7).into(), &data));
    assert!(echoed == data, "echoed data differs");
}

#[test]
fn many_connections_at_once() {
    let net = net();
    // A backlog as deep as the burst: all SYNs arrive in one poll, before `accept` runs; with
    // a shallower backlog the excess would be refused (RST), as on any system.
    spawn_tcp_echo(&net.executor.spawner(), &net.b, 7, 20);
    let inputs: Vec<Vec<u8>> = (0..20)
        .map(|i| pattern(20_000 + i * 1000, i as u32))
        .collect();
    let clients = inputs
        .iter()
        .map(|data| echo_round_trip(&net.a, (B, 7).into(), data))
        .collect();
    let outputs = net.run(join_all(clients));
    for (i, (input, output)) in inputs.iter().zip(&outputs).enumerate() {
        assert!(input == output, "connection {i}: echoed data differs");
    }
    assert_eq!(net.b.stats().tcp_accepted, 20);
}

#[test]
fn refused_and_unreachable_connections() {
    let net = net();
    net.run(async {
        // Nothing listens on port 9: the peer answers the SYN with a RST.
        let refused = TcpStream::connect(&net.a, (B, 9).into()).await;
        assert_eq!(refused.unwrap_err(), Error::ConnectFailed((B, 9).into()));
        let off_subnet = (Ipv4Address::new(192, 0, 2, 1), 80).into();
        assert_eq!(
            TcpStream::connect(&net.a, off_subnet).await.unwrap_err(),
            Error::Unreachable(off_subnet)
        );
    });
    assert!(matches!(
        TcpListener::bind(&net.b, 0, 1),
        Err(Error::PortZero)
    ));
    assert!(matches!(
        TcpListener::bind(&net.b, 7, 0),
        Err(Error::ZeroBacklog)
    ));
}

#[test]
fn peer_close_reset_and_timeouts() {
    let net = net();
    let listener = TcpListener::bind(&net.b, 7, 2).unwrap();
    net.run(async {
        let mut client = TcpStream::connect(&net.a, (B, 7).into()).await.unwrap();
        let mut server = listener.accept().await;
        assert_eq!(server.peer(), client.local());
        assert_eq!(client.peer(), Some((B, 7).into()));

        // An idle peer: the read times out after 5 s of simulated time.
        let before = net.b.now();
        let mut buffer = [0; 16];
        let idle = net
            .b
            .timeout(Duration::from_secs(5), server.read(&mut buffer))
            .await;
        assert_eq!(idle, Err(Error::TimedOut));
        let waited = net.b.now() - before;
        assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(6));

        // In time: the future's output (an async block, so not `Unpin`), before the deadline.
        client.write_all(b"hi").await.unwrap();
        let read = net
            .b
            .timeout(Duration::from_secs(5), async {
                server.read(&mut buffer).await
            })
            .await;
        assert_eq!(read, Ok(Ok(2)));
        assert_eq!(&buffer[..2], b"hi");

        // Data, then the client's FIN: the server reads the data, then the end of stream.
        client.write_all(b"bye").await.unwrap();
        client.close();
        assert_eq!(server.read(&mut buffer).await, Ok(3));
        assert_eq!(server.read(&mut buffer).await, Ok(0));
        assert_eq!(client.write(b"x").await, Err(Error::NotWritable));
        // The server may still write in CLOSE-WAIT; the client reads it, then the end.
        server.write_all(b"ok").await.unwrap();
        server.close();
        assert_eq!(client.read(&mut buffer).await, Ok(2));
        assert_eq!(client.read(&mut buffer).await, Ok(0));

        // A reset is an error on the other side.
        let mut client = TcpStream::connect(&net.a, (B, 7).into()).await.unwrap();
        let mut server = listener.accept().await;
        server.abort();
        assert_eq!(client.read(&mut buffer).await, Err(Error::ConnectionReset));
        assert_eq!(client.write(b"x").await, Err(Error::ConnectionReset));

        // Sleep follows the simulated clock.
        let before = net.a.now();
        net.a.sleep(Duration::from_millis(1500)).await;
        assert!(net.a.now() - before >= Duration::from_millis(1500));
    });
}

#[test]
fn dropped_sockets_are_released() {
    let net = net();
    let baseline = (net.a.stats().sockets, net.b.stats().sockets);
    assert_eq!(baseline, (0, 0));
    {
        let listener = TcpListener::bind(&net.b, 7, 3).unwrap();
        let udp = UdpSocket::bind(&net.b, 7).unwrap();
        assert_eq!(net.b.stats().sockets, 4);
        net.run(async {
            let mut client = TcpStream::connect(&net.a, (B, 7).into()).await.unwrap();
            let mut server = listener.accept().await;
            // Accepting re-armed the backlog: 3 listening + the accepted one + UDP.
            assert_eq!(net.b.stats().sockets, 5);
            // More than the server reads, less than the two buffers hold: unread data on
            // one side, unsent data on the other, when both are dropped.
            client.write_all(&pattern(24_000, 3)).await.unwrap();
            let mut buffer = vec![0; 1000];
            assert_eq!(server.read(&mut buffer).await, Ok(1000));
            drop(server);
            drop(client);
        });
        drop(udp);
        drop(listener);
    }
    // Let the closes finish (FIN, RST or the linger deadline) in simulated time.
    net.run(net.a.sleep(Duration::from_secs(60)));
    assert_eq!(net.a.stats().sockets, 0, "{:?}", net.a.stats());
    assert_eq!(net.b.stats().sockets, 0, "{:?}", net.b.stats());
    assert_eq!(net.b.stats().lingering, 0);
    // The ports are free again.
    let _listener = TcpListener::bind(&net.b, 7, 1).unwrap();
    let _udp = UdpSocket::bind(&net.b, 7).unwrap();
    assert_eq!(net.executor.task_count(), 0);
}
