/* sockhelp's declarations for Python's cffi (ffi.cdef), made by scripts/gen-cffi.py
 * from include/sockhelp.h (POSIX). Do not edit; the header is the reference manual. */
typedef int sockhelp_socket;

#define SOCKHELP_INVALID_SOCKET -1
#define SOCKHELP_OK 0
#define SOCKHELP_ECLOSED -1
#define SOCKHELP_ERESET -2
#define SOCKHELP_ETIMEDOUT -3
#define SOCKHELP_EWOULDBLOCK -4
#define SOCKHELP_EINVAL -5
#define SOCKHELP_ETOOBIG -6
#define SOCKHELP_ENOSPACE -7
#define SOCKHELP_EBADFRAME -8
#define SOCKHELP_ENOMEM -9
#define SOCKHELP_EUNSUPPORTED -10
#define SOCKHELP_EOS -11
#define SOCKHELP_EINTERNAL -12
#define SOCKHELP_EREFUSED -13
#define SOCKHELP_ENOTFOUND -14
#define SOCKHELP_ETLS -15
#define SOCKHELP_ECERT -16
#define SOCKHELP_ETRUNCATED -17
#define SOCKHELP_EPROTO -18
#define SOCKHELP_ETRYAGAIN -19
#define SOCKHELP_VERSION_MAJOR 0
#define SOCKHELP_VERSION_MINOR 1
#define SOCKHELP_VERSION_PATCH 0

int sockhelp_init(void);

void sockhelp_cleanup(void);

const char *sockhelp_version(void);

const char *sockhelp_strerror(int code);

int sockhelp_last_os_error(void);

const char *sockhelp_os_strerror(int os_error);

#define SOCKHELP_SHUT_RD 0
#define SOCKHELP_SHUT_WR 1
#define SOCKHELP_SHUT_RDWR 2
#define SOCKHELP_LISTEN_RESOLVE_MS 2000
#define SOCKHELP_ADDR_MAX 512

int sockhelp_connect(const char *host,
                     uint16_t port,
                     int timeout_ms,
                     sockhelp_socket *out);

int sockhelp_listen(const char *host,
                    uint16_t port,
                    int backlog,
                    sockhelp_socket *out);

int sockhelp_accept(sockhelp_socket listener,
                    int timeout_ms,
                    sockhelp_socket *out);

int sockhelp_local_port(sockhelp_socket s,
                        uint16_t *port);

int sockhelp_set_nonblocking(sockhelp_socket s,
                             bool on);

int sockhelp_get_nonblocking(sockhelp_socket s,
                             bool *on);

int sockhelp_set_nodelay(sockhelp_socket s,
                         bool on);

int sockhelp_set_keepalive(sockhelp_socket s,
                           bool on,
                           int idle_s,
                           int interval_s,
                           int count);

int sockhelp_shutdown(sockhelp_socket s,
                      int how);

int sockhelp_close(sockhelp_socket s);

int sockhelp_close_graceful(sockhelp_socket s,
                            int timeout_ms);

int sockhelp_peer_addr(sockhelp_socket s,
                       char *buf,
                       size_t cap,
                       size_t *needed);

int sockhelp_local_addr(sockhelp_socket s,
                        char *buf,
                        size_t cap,
                        size_t *needed);

int sockhelp_accept_addr(sockhelp_socket listener,
                         int timeout_ms,
                         sockhelp_socket *out,
                         char *addr,
                         size_t cap);

int sockhelp_listen_unix(const char *path,
                         int backlog,
                         sockhelp_socket *out);

int sockhelp_connect_unix(const char *path,
                          int timeout_ms,
                          sockhelp_socket *out);

int sockhelp_connect_start(const char *host,
                           uint16_t port,
                           sockhelp_socket *out);

int sockhelp_connect_finish(sockhelp_socket s);

typedef struct sockhelp_slice {

  const void *ptr;

  size_t len;
} sockhelp_slice;

int sockhelp_sendall(sockhelp_socket s,
                     const void *buf,
                     size_t len,
                     int timeout_ms,
                     size_t *sent);

int sockhelp_recvall(sockhelp_socket s,
                     void *buf,
                     size_t len,
                     int timeout_ms,
                     size_t *received);

#define SOCKHELP_LEN_BINARY 0
#define SOCKHELP_LEN_VARINT 1
#define SOCKHELP_LEN_DECIMAL 2
#define SOCKHELP_LEN_HEX 3

typedef struct sockhelp_framing sockhelp_framing;

typedef struct sockhelp_type_entry {

  uint8_t type_byte;

  size_t fixed_len;

  const struct sockhelp_framing *length_format;
} sockhelp_type_entry;

typedef struct sockhelp_length_field {

  size_t head;

  unsigned int encoding;

  unsigned int width;

  bool little_endian;

  int64_t adjustment;

  size_t max_len;
} sockhelp_length_field;

struct sockhelp_framing *sockhelp_framing_fixed(size_t len);

struct sockhelp_framing *sockhelp_framing_delimited(const void *delim,
                                                    size_t delim_len,
                                                    size_t max_len);

struct sockhelp_framing *sockhelp_framing_length_prefixed(unsigned int width,
                                                          bool little_endian,
                                                          size_t max_len);

struct sockhelp_framing *sockhelp_framing_varint(size_t max_len);

struct sockhelp_framing *sockhelp_framing_ascii_length(unsigned int digits,
                                                       size_t max_len);

struct sockhelp_framing *sockhelp_framing_typed(const struct sockhelp_type_entry *entries,
                                                size_t count,
                                                size_t max_len);

int sockhelp_framing_length_field(const struct sockhelp_length_field *spec,
                                  struct sockhelp_framing **out);

int sockhelp_framing_new_fixed(size_t len,
                               struct sockhelp_framing **out);

int sockhelp_framing_new_delimited(const void *delim,
                                   size_t delim_len,
                                   size_t max_len,
                                   struct sockhelp_framing **out);

int sockhelp_framing_new_length_prefixed(unsigned int width,
                                         bool little_endian,
                                         size_t max_len,
                                         struct sockhelp_framing **out);

int sockhelp_framing_new_varint(size_t max_len,
                                struct sockhelp_framing **out);

int sockhelp_framing_new_ascii_length(unsigned int digits,
                                      size_t max_len,
                                      struct sockhelp_framing **out);

int sockhelp_framing_new_typed(const struct sockhelp_type_entry *entries,
                               size_t count,
                               size_t max_len,
                               struct sockhelp_framing **out);

void sockhelp_framing_free(struct sockhelp_framing *f);

size_t sockhelp_framing_max_payload(const struct sockhelp_framing *f);

int sockhelp_frame_encode(const struct sockhelp_framing *f,
                          const void *payload,
                          size_t len,
                          void *out,
                          size_t cap,
                          size_t *written);

#define SOCKHELP_LENGTH_EXT 1
#define SOCKHELP_LENGTH_NULL_OK 2
#define SOCKHELP_LENGTH_COUNT 4
#define SOCKHELP_LENGTH_ZERO_ENDS 8
#define SOCKHELP_LENGTH_NULL 18446744073709551615

typedef struct sockhelp_reader sockhelp_reader;

typedef struct sockhelp_length_line {

  char prefix;

  int base;

  const char *terminator;

  size_t terminator_len;

  size_t max_digits;

  size_t trailer;

  uint64_t max_len;

  unsigned int flags;
} sockhelp_length_line;

struct sockhelp_reader *sockhelp_reader_new(const struct sockhelp_framing *f);

void sockhelp_reader_free(struct sockhelp_reader *r);

int sockhelp_reader_set_framing(struct sockhelp_reader *r,
                                const struct sockhelp_framing *f);

int sockhelp_recv_frame(struct sockhelp_reader *r,
                        sockhelp_socket s,
                        void *buf,
                        size_t cap,
                        size_t *len,
                        int timeout_ms);

int sockhelp_recv_batch(struct sockhelp_reader *r,
                        sockhelp_socket s,
                        struct sockhelp_slice *frames,
                        size_t cap,
                        size_t *n,
                        int timeout_ms);

int sockhelp_reader_recvall(struct sockhelp_reader *r,
                            sockhelp_socket s,
                            void *buf,
                            size_t len,
                            int timeout_ms,
                            size_t *received);

int sockhelp_reader_fill(struct sockhelp_reader *r,
                         sockhelp_socket s);

int sockhelp_reader_next(struct sockhelp_reader *r,
                         const uint8_t **frame,
                         size_t *len);

int sockhelp_reader_next_batch(struct sockhelp_reader *r,
                               struct sockhelp_slice *frames,
                               size_t cap,
                               size_t *n);

int sockhelp_reader_feed(struct sockhelp_reader *r,
                         const void *data,
                         size_t len);

int sockhelp_reader_feed_some(struct sockhelp_reader *r,
                              const void *data,
                              size_t len,
                              size_t *taken);

size_t sockhelp_reader_take(struct sockhelp_reader *r,
                            void *buf,
                            size_t cap);

int sockhelp_reader_expect_raw(struct sockhelp_reader *r,
                               size_t n);

int sockhelp_reader_set_idle(struct sockhelp_reader *r,
                             size_t initial,
                             size_t idle);

int sockhelp_reader_set_max(struct sockhelp_reader *r,
                            size_t max);

int sockhelp_reader_next_length(struct sockhelp_reader *r,
                                const struct sockhelp_length_line *spec,
                                uint64_t *value);

size_t sockhelp_reader_memory(const struct sockhelp_reader *r);

size_t sockhelp_reader_buffered(const struct sockhelp_reader *r);

typedef struct sockhelp_writer sockhelp_writer;

struct sockhelp_writer *sockhelp_writer_new(const struct sockhelp_framing *f);

void sockhelp_writer_free(struct sockhelp_writer *w);

int sockhelp_writer_set_limit(struct sockhelp_writer *w,
                              size_t max_pending);

int sockhelp_writer_queue(struct sockhelp_writer *w,
                          const void *payload,
                          size_t len);

int sockhelp_writer_set_max(struct sockhelp_writer *w,
                            size_t max);

int sockhelp_writer_queue_raw(struct sockhelp_writer *w,
                              const void *bytes,
                              size_t len);

size_t sockhelp_writer_memory(const struct sockhelp_writer *w);

int sockhelp_writer_queue_many(struct sockhelp_writer *w,
                               const struct sockhelp_slice *payloads,
                               size_t n,
                               size_t *queued);

int sockhelp_writer_send(struct sockhelp_writer *w,
                         sockhelp_socket s,
                         const void *payload,
                         size_t len);

int sockhelp_writer_send_raw(struct sockhelp_writer *w,
                             sockhelp_socket s,
                             const void *data,
                             size_t len);

int sockhelp_writer_flush(struct sockhelp_writer *w,
                          sockhelp_socket s,
                          int timeout_ms);

size_t sockhelp_writer_pending(const struct sockhelp_writer *w);

int sockhelp_send_frame(sockhelp_socket s,
                        const struct sockhelp_framing *f,
                        const void *payload,
                        size_t len,
                        int timeout_ms,
                        size_t *sent);

int sockhelp_send_frames(sockhelp_socket s,
                         const struct sockhelp_framing *f,
                         const struct sockhelp_slice *payloads,
                         size_t n,
                         int timeout_ms,
                         size_t *frames_sent,
                         size_t *bytes_sent);

int sockhelp_select(sockhelp_socket *readers,
                    size_t *n_readers,
                    sockhelp_socket *writers,
                    size_t *n_writers,
                    sockhelp_socket *errors,
                    size_t *n_errors,
                    int timeout_ms);

#define SOCKHELP_READABLE 1
#define SOCKHELP_WRITABLE 2
#define SOCKHELP_HANGUP 4
#define SOCKHELP_ERROR 8
#define SOCKHELP_TIMEDOUT_EVENT 32

typedef struct sockhelp_poller sockhelp_poller;

typedef struct sockhelp_event {

  uint64_t tag;

  uint32_t events;
} sockhelp_event;

struct sockhelp_poller *sockhelp_poller_new(void);

void sockhelp_poller_free(struct sockhelp_poller *p);

int sockhelp_poller_add(struct sockhelp_poller *p,
                        sockhelp_socket s,
                        uint32_t interest,
                        uint64_t tag);

int sockhelp_poller_modify(struct sockhelp_poller *p,
                           sockhelp_socket s,
                           uint32_t interest,
                           uint64_t tag);

int sockhelp_poller_remove(struct sockhelp_poller *p,
                           sockhelp_socket s);

int sockhelp_poller_wait(struct sockhelp_poller *p,
                         struct sockhelp_event *events,
                         size_t cap,
                         int timeout_ms);

int sockhelp_poller_wake(struct sockhelp_poller *p);

typedef struct sockhelp_connector sockhelp_connector;

typedef struct sockhelp_connect_opts {

  const char *bind_host;

  int family;

  int stagger_ms;
} sockhelp_connect_opts;

int sockhelp_connect_ex(const char *host,
                        uint16_t port,
                        const struct sockhelp_connect_opts *o,
                        int timeout_ms,
                        sockhelp_socket *out);

int sockhelp_resolve(const char *host,
                     uint16_t port,
                     int timeout_ms,
                     char *addrs,
                     size_t cap,
                     size_t *needed,
                     size_t *count);

int sockhelp_connector_start(const char *host,
                             uint16_t port,
                             const struct sockhelp_connect_opts *o,
                             struct sockhelp_connector **out);

int sockhelp_connector_step(struct sockhelp_connector *c,
                            sockhelp_socket *out);

int sockhelp_connector_poll_with(struct sockhelp_connector *c,
                                 struct sockhelp_poller *p,
                                 uint64_t tag);

int sockhelp_connector_timeout_ms(struct sockhelp_connector *c);

void sockhelp_connector_free(struct sockhelp_connector *c);

int sockhelp_set_user_timeout(sockhelp_socket s,
                              int ms);

#define SOCKHELP_ACCEPT_NONBLOCK 1
#define SOCKHELP_ACCEPT_NODELAY 2
#define SOCKHELP_ACCEPT_CLOEXEC 4
#define SOCKHELP_LISTEN_REUSEPORT 1

int sockhelp_accept_ex(sockhelp_socket listener,
                       uint32_t flags,
                       int timeout_ms,
                       sockhelp_socket *out,
                       char *addr,
                       size_t cap);

int sockhelp_listen_ex(const char *host,
                       uint16_t port,
                       int backlog,
                       uint32_t flags,
                       sockhelp_socket *out);

int sockhelp_poller_set_deadline(struct sockhelp_poller *p,
                                 sockhelp_socket s,
                                 int64_t ms_from_now);

int sockhelp_send_socket(sockhelp_socket unix_sock,
                         sockhelp_socket s,
                         int timeout_ms);

int sockhelp_recv_socket(sockhelp_socket unix_sock,
                         int timeout_ms,
                         sockhelp_socket *out);

typedef struct sockhelp_stream sockhelp_stream;

int sockhelp_stream_plain(sockhelp_socket s,
                          struct sockhelp_stream **out);

sockhelp_socket sockhelp_stream_socket(const struct sockhelp_stream *st);

void sockhelp_stream_free(struct sockhelp_stream *st);

size_t sockhelp_stream_buffered(struct sockhelp_stream *st);

int sockhelp_stream_sendall(struct sockhelp_stream *st,
                            const void *buf,
                            size_t len,
                            int timeout_ms,
                            size_t *sent);

int sockhelp_stream_recvall(struct sockhelp_stream *st,
                            void *buf,
                            size_t len,
                            int timeout_ms,
                            size_t *received);

int sockhelp_stream_send_frame(struct sockhelp_stream *st,
                               const struct sockhelp_framing *f,
                               const void *payload,
                               size_t len,
                               int timeout_ms,
                               size_t *sent);

int sockhelp_stream_send_frames(struct sockhelp_stream *st,
                                const struct sockhelp_framing *f,
                                const struct sockhelp_slice *payloads,
                                size_t n,
                                int timeout_ms,
                                size_t *frames_sent,
                                size_t *bytes_sent);

int sockhelp_stream_recv_frame(struct sockhelp_reader *r,
                               struct sockhelp_stream *st,
                               void *buf,
                               size_t cap,
                               size_t *len,
                               int timeout_ms);

int sockhelp_stream_recv_batch(struct sockhelp_reader *r,
                               struct sockhelp_stream *st,
                               struct sockhelp_slice *frames,
                               size_t cap,
                               size_t *n,
                               int timeout_ms);

int sockhelp_stream_fill(struct sockhelp_reader *r,
                         struct sockhelp_stream *st);

int sockhelp_stream_reader_recvall(struct sockhelp_reader *r,
                                   struct sockhelp_stream *st,
                                   void *buf,
                                   size_t len,
                                   int timeout_ms,
                                   size_t *received);

int sockhelp_stream_flush(struct sockhelp_writer *w,
                          struct sockhelp_stream *st,
                          int timeout_ms);

int sockhelp_stream_writer_send(struct sockhelp_writer *w,
                                struct sockhelp_stream *st,
                                const void *payload,
                                size_t len);

int sockhelp_stream_writer_send_raw(struct sockhelp_writer *w,
                                    struct sockhelp_stream *st,
                                    const void *data,
                                    size_t len);

typedef struct sockhelp_tls_config sockhelp_tls_config;

int sockhelp_has_tls(void);

int sockhelp_tls_config_client(struct sockhelp_tls_config **out);

int sockhelp_tls_config_server(const char *cert_chain_pem_file,
                               const char *key_pem_file,
                               struct sockhelp_tls_config **out);

int sockhelp_tls_config_server_pem(const char *cert_chain_pem,
                                   size_t cert_len,
                                   const char *key_pem,
                                   size_t key_len,
                                   struct sockhelp_tls_config **out);

int sockhelp_tls_config_add_ca_file(struct sockhelp_tls_config *c,
                                    const char *pem_file);

int sockhelp_tls_config_add_ca_pem(struct sockhelp_tls_config *c,
                                   const char *pem,
                                   size_t len);

int sockhelp_tls_config_client_cert(struct sockhelp_tls_config *c,
                                    const char *cert_chain_pem_file,
                                    const char *key_pem_file);

int sockhelp_tls_config_require_client_cert(struct sockhelp_tls_config *c,
                                            const char *ca_pem_file);

int sockhelp_tls_config_alpn(struct sockhelp_tls_config *c,
                             const char *const *protocols,
                             size_t n);

int sockhelp_tls_config_dangerous_no_verify(struct sockhelp_tls_config *c);

void sockhelp_tls_config_free(struct sockhelp_tls_config *c);

int sockhelp_tls_connect(const struct sockhelp_tls_config *c,
                         const char *host,
                         uint16_t port,
                         int timeout_ms,
                         struct sockhelp_stream **out);

int sockhelp_tls_client(const struct sockhelp_tls_config *c,
                        sockhelp_socket s,
                        const char *server_name,
                        const struct sockhelp_reader *r,
                        int timeout_ms,
                        struct sockhelp_stream **out);

int sockhelp_tls_server(const struct sockhelp_tls_config *c,
                        sockhelp_socket s,
                        int timeout_ms,
                        struct sockhelp_stream **out);

int sockhelp_stream_handshake(struct sockhelp_stream *st,
                              int timeout_ms);

unsigned int sockhelp_stream_wants(const struct sockhelp_stream *st);

int sockhelp_stream_info(const struct sockhelp_stream *st,
                         char *buf,
                         size_t cap,
                         size_t *needed);

int sockhelp_stream_error_detail(const struct sockhelp_stream *st,
                                 char *buf,
                                 size_t cap,
                                 size_t *needed);

int sockhelp_stream_close(struct sockhelp_stream *st,
                          int timeout_ms);
