#!/usr/bin/env python3
"""
Installs a source-NAT (masquerade) rule in the current network namespace through
nf_tables' netlink API: `table ip checkernet_nat { chain post { type nat hook
postrouting priority srcnat; oifname "<wan>" masquerade } }`.

The testbed's "home routers" run it (`ip netns exec <router> python3 masquerade.py
<wan-interface>`): hosts behind them can open connections out, and nothing outside
can open one in, as behind a laptop's NAT. This machine's kernel has nf_tables and
NAT built in but no `nft` or `iptables` tool, so the four messages `nft` would send
are written here; Python's socket module speaks netlink, Node's does not.
"""
import os
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE = 0, 3, 6
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND = 0x1, 0x4, 0x200, 0x400, 0x800
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
NFPROTO_IPV4 = 2
NF_INET_POST_ROUTING = 4
NF_IP_PRI_NAT_SRC = 100
NFT_REG_1 = 1
NFT_META_OIFNAME = 7
NFT_CMP_EQ = 0

TABLE, CHAIN = b"checkernet_nat", b"post"


def attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def nested(kind: int, *attrs: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def string(kind: int, value: bytes) -> bytes:
    return attr(kind, value + b"\0")


def be32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack(">I", value & 0xFFFFFFFF))


def message(kind: int, flags: int, seq: int, family: int, res_id: int, body: bytes) -> bytes:
    payload = struct.pack("=BBH", family, 0, socket.htons(res_id)) + body
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def expression(name: bytes, *data: bytes) -> bytes:
    # NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }
    return nested(1, string(1, name), *( [nested(2, *data)] if data else [] ))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: masquerade.py <wan-interface>")
    wan = sys.argv[1].encode()
    nft = lambda msg: (NFNL_SUBSYS_NFTABLES << 8) | msg
    create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE
    ifname = wan + b"\0" * (16 - len(wan))  # IFNAMSIZ, as nft compares it
    rule = [
        # meta load oifname => reg 1 (NFTA_META_DREG, NFTA_META_KEY)
        expression(b"meta", be32(1, NFT_REG_1), be32(2, NFT_META_OIFNAME)),
        # cmp eq reg 1 "<wan>"
        expression(b"cmp", be32(1, NFT_REG_1), be32(2, NFT_CMP_EQ), nested(3, attr(1, ifname))),
        expression(b"masq"),
    ]
    batch = [
        message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, 0, NFNL_SUBSYS_NFTABLES, b""),
        message(nft(NFT_MSG_NEWTABLE), create, 2, NFPROTO_IPV4, 0, string(1, TABLE)),
        message(
            nft(NFT_MSG_NEWCHAIN),
            create,
            3,
            NFPROTO_IPV4,
            0,
            string(1, TABLE)
            + string(3, CHAIN)
            + nested(4, be32(1, NF_INET_POST_ROUTING), be32(2, NF_IP_PRI_NAT_SRC))
            + string(7, b"nat"),
        ),
        message(
            nft(NFT_MSG_NEWRULE),
            create | NLM_F_APPEND,
            4,
            NFPROTO_IPV4,
            0,
            string(1, TABLE) + string(2, CHAIN) + nested(4, *rule),
        ),
        message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 5, 0, NFNL_SUBSYS_NFTABLES, b""),
    ]
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.send(b"".join(batch))
    sock.settimeout(2)
    acked = set()
    while not {2, 3, 4} <= acked:  # the batch markers are not acknowledged
        data = sock.recv(65536)
        offset = 0
        while offset < len(data):
            length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from("=i", data, offset + 16)
                if error != 0:
                    sys.exit(f"masquerade: nf_tables refused message {seq}: {os.strerror(-error)}")
                acked.add(seq)
            offset += (length + 3) & ~3
    print(f"masquerade on {wan.decode()}")


if __name__ == "__main__":
    main()
