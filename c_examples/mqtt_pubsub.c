/*
 * mqtt_pubsub: MQTT 3.1.1 publish/subscribe through sockhelp's framing alone.
 *
 * Lesson: a length field need not be the first thing in a frame, nor a fixed size. Every
 * MQTT packet is one byte of type and flags, then the "remaining length" as a varint
 * (7 bits per byte, 1 to 4 bytes), then that many bytes:
 *
 *     30 0b 00 05 "a/b/c" "hi!!"       PUBLISH, remaining length 11 (one varint byte)
 *
 * sockhelp_length_field: head 1 (the type byte comes before the field), varint, adjustment 0.
 * This program sends and receives the type byte followed by the body; sockhelp writes the
 * varint (1, 2 or 3 bytes here, depending on the size) and strips it on receive.
 *
 *   mqtt_pubsub HOST PORT [--tls] [--cafile FILE]
 *
 * With --tls the same packets travel in a TLS session (MQTT's port 8883), the broker's
 * certificate verified against FILE (else the system's roots) and the host name: only the
 * connect differs (stream_connect.h).
 *
 * CONNECT, SUBSCRIBE to a topic (QoS 1), PUBLISH three messages to it with QoS 1 (10, 200
 * and 20000 bytes of payload: remaining lengths needing 1, 2 and 3 varint bytes), then
 * receive the broker's PUBACKs and the three messages back (acknowledging each), and
 * DISCONNECT. Each received payload is printed in hex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "stream_connect.h"

#define TIMEOUT_MS 10000
#define MAX_PACKET (1u << 20)

/* Packet types: the high 4 bits of the first byte; the low 4 are flags. */
#define CONNECT 0x10
#define CONNACK 0x20
#define PUBLISH 0x30
#define PUBACK 0x40
#define SUBSCRIBE 0x80
#define SUBACK 0x90
#define DISCONNECT 0xe0
#define QOS1 0x02 /* PUBLISH flags: QoS 1 */

/* The topic as MQTT writes strings: a 2-byte length (13), then the bytes. */
#define TOPIC "\x00\x0d" "sockhelp/test"
#define TOPIC_LEN 15

static const size_t sizes[3] = {10, 200, 20000};
static uint8_t packet[MAX_PACKET];

static int fail(const char *what, int rc) {
    fprintf(stderr, "mqtt_pubsub: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* The payload of message i: every byte differs from its neighbours, with no pattern that
 * would hide a shifted or truncated copy. */
static uint8_t payload_byte(size_t size, size_t i) {
    return (uint8_t)(i * 31 + size);
}

int main(int argc, char **argv) {
    int tls = 0;
    const char *cafile = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--tls") == 0) tls = 1;
        else if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) cafile = argv[++i];
        else argc = 0; /* usage */
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [--tls] [--cafile FILE]\n", argv[0]);
        return 2;
    }
    sockhelp_stream *s; /* the connection: plain or TLS */
    int rc = sockhelp_init();
    if (rc != SOCKHELP_OK) return fail("init", rc);
    if (stream_connect("mqtt_pubsub", argv[1], (uint16_t)atoi(argv[2]), tls, cafile, NULL, NULL,
                       TIMEOUT_MS, &s))
        return 1;

    /* One framing for every packet, both ways. */
    sockhelp_length_field spec = {1, SOCKHELP_LEN_VARINT, 0, false, 0, MAX_PACKET};
    sockhelp_framing *mqtt = NULL;
    if ((rc = sockhelp_framing_length_field(&spec, &mqtt)) != SOCKHELP_OK) return fail("framing", rc);
    sockhelp_reader *r = sockhelp_reader_new(mqtt);
    if (!r) return fail("reader", SOCKHELP_ENOMEM);
    size_t len = 0;

    /* CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60 s, client id "sockhelp". */
    static const uint8_t connect[] = {CONNECT, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                                      0, 8, 's', 'o', 'c', 'k', 'h', 'e', 'l', 'p'};
    rc = sockhelp_stream_send_frame(s, mqtt, connect, sizeof connect, TIMEOUT_MS, NULL);
    if (rc == SOCKHELP_OK) rc = sockhelp_stream_recv_frame(r, s, packet, sizeof packet, &len, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return fail("CONNECT", rc);
    /* CONNACK: flags, then return code 0 = accepted. */
    if (len != 3 || packet[0] != CONNACK || packet[2] != 0) return fail("CONNACK", SOCKHELP_EBADFRAME);
    printf("connack: accepted\n");

    /* SUBSCRIBE (its flags must be 0010): packet id 1, the topic, requested QoS 1. */
    static const uint8_t subscribe[] = {SUBSCRIBE | 0x02, 0, 1, 0, 13, 's', 'o', 'c', 'k', 'h',
                                        'e', 'l', 'p', '/', 't', 'e', 's', 't', 1};
    rc = sockhelp_stream_send_frame(s, mqtt, subscribe, sizeof subscribe, TIMEOUT_MS, NULL);
    if (rc == SOCKHELP_OK) rc = sockhelp_stream_recv_frame(r, s, packet, sizeof packet, &len, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return fail("SUBSCRIBE", rc);
    /* SUBACK: packet id 1, granted QoS. */
    if (len != 4 || packet[0] != SUBACK || memcmp(packet + 1, "\0\1", 2) != 0)
        return fail("SUBACK", SOCKHELP_EBADFRAME);
    printf("suback: granted qos %d\n", packet[3]);

    /* PUBLISH x3, QoS 1, packet ids 2, 3, 4: type, topic, packet id, payload. */
    for (int m = 0; m < 3; m++) {
        size_t n = 0, sent = 0;
        packet[n++] = PUBLISH | QOS1;
        memcpy(packet + n, TOPIC, TOPIC_LEN);
        n += TOPIC_LEN;
        packet[n++] = 0;
        packet[n++] = (uint8_t)(2 + m);
        for (size_t i = 0; i < sizes[m]; i++) packet[n++] = payload_byte(sizes[m], i);
        rc = sockhelp_stream_send_frame(s, mqtt, packet, n, TIMEOUT_MS, &sent);
        if (rc != SOCKHELP_OK) return fail("PUBLISH", rc);
        /* sent = wire bytes: the payload (type + body) plus the varint sockhelp wrote. */
        printf("publish %d: %zu-byte payload, remaining length %zu in %zu varint byte(s)\n",
               2 + m, sizes[m], n - 1, sent - n);
    }

    /* Our PUBACKs and our three messages come back, in whatever order the broker likes. */
    int acks = 0, messages = 0;
    for (int packets = 0; packets < 16 && (acks < 3 || messages < 3); packets++) {
        rc = sockhelp_stream_recv_frame(r, s, packet, sizeof packet, &len, TIMEOUT_MS);
        if (rc != SOCKHELP_OK) return fail("receiving", rc);
        if (packet[0] == PUBACK && len == 3) {
            printf("puback: packet %d\n", packet[2]);
            acks++;
        } else if ((packet[0] & 0xf0) == PUBLISH) {
            int qos = (packet[0] & 0x06) / 2;
            size_t at = 1 + TOPIC_LEN + (qos ? 2 : 0); /* type, topic, packet id */
            if (len < at || memcmp(packet + 1, TOPIC, TOPIC_LEN) != 0)
                return fail("PUBLISH from the broker", SOCKHELP_EBADFRAME);
            printf("message: qos %d, %zu bytes: ", qos, len - at);
            for (size_t i = at; i < len; i++) printf("%02x", packet[i]);
            printf("\n");
            messages++;
            if (qos == 1) { /* acknowledge: PUBACK with the broker's packet id, copied */
                uint8_t puback[3] = {PUBACK, packet[at - 2], packet[at - 1]};
                rc = sockhelp_stream_send_frame(s, mqtt, puback, sizeof puback, TIMEOUT_MS, NULL);
                if (rc != SOCKHELP_OK) return fail("PUBACK", rc);
            }
        } else {
            return fail("unexpected packet", SOCKHELP_EBADFRAME);
        }
    }
    if (acks < 3 || messages < 3) return fail("missing acks or messages", SOCKHELP_EBADFRAME);

    /* DISCONNECT: the type byte, remaining length 0. */
    static const uint8_t disconnect[] = {DISCONNECT};
    rc = sockhelp_stream_send_frame(s, mqtt, disconnect, sizeof disconnect, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) return fail("DISCONNECT", rc);
    printf("disconnected\n");

    sockhelp_stream_close(s, 1000); /* close_notify when TLS, then the graceful close */
    sockhelp_reader_free(r);
    sockhelp_framing_free(mqtt);
    sockhelp_cleanup();
    return 0;
}
