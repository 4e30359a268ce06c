"""A TCP forwarder between the app and PostgreSQL that a test or the load test can cut and restore,
so a database outage is played without restarting the server every other user of the machine
shares (tests/test_faults.py, bench/load.py --faults).

  proxy = Proxy(5432).start()      # listens on 127.0.0.1:proxy.port, forwards to 127.0.0.1:5432
  proxy.cut("down")                # every connection closed, new ones closed at once: a restart
  proxy.cut("stalled")             # every connection closed, new ones accepted and never answered:
                                   # a server that hangs, or a network that drops its packets
  proxy.restore()                  # forwards again
  proxy.close()
"""

import select
import socket
import threading


class Proxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.state = "up"  # up, down or stalled
        self.connections = 0  # accepted while up: how many times the app connected
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closing = False

    def start(self) -> "Proxy":
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()
        return self

    def cut(self, how: str = "down") -> None:
        if how not in ("down", "stalled"):
            raise ValueError(how)
        with self._lock:
            self.state = how
            self._close_all()

    def restore(self) -> None:
        with self._lock:
            self._close_all()  # connections held while stalled: the client gave up on them already
            self.state = "up"

    def close(self) -> None:
        self._closing = True
        with self._lock:
            self._close_all()
        self.listener.close()

    def _close_all(self) -> None:
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._open.clear()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if self.state == "down":
                    client.close()
                    continue
                self._open.add(client)
                if self.state == "stalled":
                    continue  # held open, never answered
                self.connections += 1
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            with self._lock:
                self._open.discard(client)
            client.close()
            return
        server.settimeout(None)
        with self._lock:
            if self.state != "up" or client not in self._open:  # cut while connecting
                server.close()
                return
            self._open.add(server)
        pair = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):  # closed by a cut (a closed socket has no file descriptor)
            return
        finally:
            with self._lock:
                for sock in pair:
                    self._open.discard(sock)
                    sock.close()
