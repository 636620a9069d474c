package system

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	signingtypes "github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// ---- raw TCP / HTTP ----

// rawAnswer is what a server did with bytes written on a fresh connection.
type rawAnswer struct {
	resp   []byte        // everything the server sent
	closed bool          // the server closed (EOF or reset) within the wait
	took   time.Duration // until the close, or the whole wait
}

// status is the HTTP status code of the first response line, 0 if there is none.
func (a rawAnswer) status() int {
	line, _, _ := bytes.Cut(a.resp, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0
	}
	code, _ := strconv.Atoi(f[1])
	return code
}

// firstLine is the start of the answer, for messages.
func (a rawAnswer) firstLine() string {
	line, _, _ := bytes.Cut(a.resp, []byte("\n"))
	if len(line) > 120 {
		line = line[:120]
	}
	return strings.TrimSpace(string(line))
}

// rawExchange dials addr, writes each chunk (pausing gap between chunks),
// then reads until the server has sent a response head, closes, or within
// has passed since dialling.
func rawExchange(t testing.TB, addr string, within, gap time.Duration, chunks ...[]byte) rawAnswer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Errorf("dialing %s: %v", addr, err) // callers may run on their own goroutine: no Fatal
		return rawAnswer{}
	}
	defer conn.Close()
	start := time.Now()
	deadline := start.Add(within)
	_ = conn.SetDeadline(deadline)
	var ans rawAnswer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 64<<10)
		for {
			k, err := conn.Read(buf)
			if len(ans.resp) < 1<<20 {
				ans.resp = append(ans.resp, buf[:k]...)
			}
			// A whole response head is an answer: a keep-alive server
			// need not close after it.
			if bytes.HasPrefix(ans.resp, []byte("HTTP/")) && bytes.Contains(ans.resp, []byte("\r\n\r\n")) {
				ans.took = time.Since(start)
				return
			}
			if err != nil {
				var ne net.Error
				ans.closed = !(errors.As(err, &ne) && ne.Timeout())
				ans.took = time.Since(start)
				return
			}
		}
	}()
	for i, c := range chunks {
		if i > 0 && gap > 0 {
			select {
			case <-readDone:
			case <-time.After(gap):
			}
		}
		if _, err := conn.Write(c); err != nil {
			break // the server closed on us: the reader records it
		}
	}
	<-readDone
	return ans
}

// ---- WebSocket frames written by hand ----

// wsRaw is a WebSocket connection driven frame by frame, so a test can send
// what no well-behaved client library would.
type wsRaw struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// dialWSRaw does the opening handshake on a plain TCP connection.
func dialWSRaw(t testing.TB, port int) *wsRaw {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", port, base64.StdEncoding.EncodeToString(key))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("WebSocket handshake: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("WebSocket handshake: %d %s", resp.StatusCode, body)
	}
	return &wsRaw{t: t, conn: conn, r: r}
}

// frame writes one frame. Client frames must be masked; mask false breaks that rule.
func (w *wsRaw) frame(fin bool, opcode byte, mask bool, payload []byte) {
	w.t.Helper()
	var hdr []byte
	b0 := opcode & 0x0f
	if fin {
		b0 |= 0x80
	}
	hdr = append(hdr, b0)
	var b1 byte
	if mask {
		b1 = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, b1|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, b1|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, b1|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	body := append([]byte(nil), payload...)
	if mask {
		key := make([]byte, 4)
		_, _ = rand.Read(key)
		hdr = append(hdr, key...)
		for i := range body {
			body[i] ^= key[i%4]
		}
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	// The server may close as soon as it has read the header: a failed write
	// is not the test's concern, what the server answered is.
	_, _ = w.conn.Write(append(hdr, body...))
}

// text sends one masked, final text frame.
func (w *wsRaw) text(s string) { w.frame(true, 0x1, true, []byte(s)) }

// wsFrame is one frame the server sent.
type wsFrame struct {
	opcode  byte
	payload []byte
}

// closeCode is the status code of a close frame's payload (1005 if absent).
func (f wsFrame) closeCode() int {
	if len(f.payload) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(f.payload))
}

// readFrame reads one server frame (unmasked, as servers send them).
func (w *wsRaw) readFrame(within time.Duration) (wsFrame, error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(within))
	var h [2]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		return wsFrame{}, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(w.r, ext[:]); err != nil {
			return wsFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(w.r, ext[:]); err != nil {
			return wsFrame{}, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > 1<<20 {
		return wsFrame{}, fmt.Errorf("server frame of %d bytes", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(w.r, payload); err != nil {
		return wsFrame{}, err
	}
	return wsFrame{opcode: h[0] & 0x0f, payload: payload}, nil
}

// awaitClose reads frames until a close frame and returns it, or fails the
// test if the connection ends (or within passes) without one.
func (w *wsRaw) awaitClose(within time.Duration) wsFrame {
	w.t.Helper()
	f, err := w.nextClose(within)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// nextClose reads frames until a close frame.
func (w *wsRaw) nextClose(within time.Duration) (wsFrame, error) {
	deadline := time.Now().Add(within)
	for {
		f, err := w.readFrame(time.Until(deadline))
		if err != nil {
			return wsFrame{}, fmt.Errorf("no close frame from the server: %v", err)
		}
		if f.opcode == 0x8 {
			return f, nil
		}
	}
}

// awaitText reads frames until a text frame containing want.
func (w *wsRaw) awaitText(within time.Duration, want string) string {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		f, err := w.readFrame(time.Until(deadline))
		if err != nil {
			w.t.Fatalf("waiting for a message with %q: %v", want, err)
		}
		if f.opcode == 0x8 {
			w.t.Fatalf("waiting for a message with %q: server closed with %d %q", want, f.closeCode(), f.payload[min(2, len(f.payload)):])
		}
		if f.opcode == 0x1 && strings.Contains(string(f.payload), want) {
			return string(f.payload)
		}
	}
	w.t.Fatalf("no message with %q within %s", want, within)
	return ""
}

// ---- transactions built and signed by hand ----

// txSigner signs raw transactions (SIGN_MODE_DIRECT) with a key of the node's
// test keyring, so a test can put in a transaction what no CLI would.
type txSigner struct {
	t    testing.TB
	n    *node
	kr   keyring.Keyring
	name string
	addr string
	pub  cryptotypes.PubKey
}

func newTxSigner(t testing.TB, n *node, name string) *txSigner {
	t.Helper()
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	kr, err := keyring.New("aitbcd", keyring.BackendTest, n.home, nil, codec.NewProtoCodec(reg))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kr.Key(name)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	return &txSigner{t: t, n: n, kr: kr, name: name, addr: n.keyAddress(name), pub: pub}
}

// rawTx is everything a test may set on a transaction; zero values are the
// ordinary choice (one signature, the test chain id, the default fee and gas).
type rawTx struct {
	Msgs           []*codectypes.Any
	Memo           string
	ExtOpts        []*codectypes.Any
	NonCritExtOpts []*codectypes.Any
	Fee            sdk.Coins // nil: the default fee; use NoFee for none
	NoFee          bool
	Gas            uint64 // 0: 200000
	ChainID        string // "": testChainID
	Copies         int    // signer infos and signatures repeated this many times (0: 1)
	Body           []byte // body bytes used as they are (Msgs, Memo and options ignored)
}

// account reads the signer's account number and sequence from the facade.
func (s *txSigner) account() (number, sequence uint64) {
	s.t.Helper()
	var b balance
	getJSON(s.t, s.n.facadeURL()+"/rpc/get_balance/"+s.addr, &b)
	return b.AccountNumber, b.Sequence
}

// sign builds and signs rt and returns the TxRaw bytes.
func (s *txSigner) sign(rt rawTx) []byte {
	s.t.Helper()
	accNum, seq := s.account()
	body := rt.Body
	if body == nil {
		var err error
		b := txtypes.TxBody{Messages: rt.Msgs, Memo: rt.Memo, ExtensionOptions: rt.ExtOpts, NonCriticalExtensionOptions: rt.NonCritExtOpts}
		if body, err = b.Marshal(); err != nil {
			s.t.Fatal(err)
		}
	}
	pubAny, err := codectypes.NewAnyWithValue(s.pub)
	if err != nil {
		s.t.Fatal(err)
	}
	gas := rt.Gas
	if gas == 0 {
		gas = 200000
	}
	fee := rt.Fee
	if fee == nil && !rt.NoFee {
		// The node's minimum gas price, 0.025uait, rounded up.
		fee = sdk.Coins{sdk.NewInt64Coin(denom, int64((gas+39)/40))}
	}
	copies := max(rt.Copies, 1)
	info := &txtypes.SignerInfo{
		PublicKey: pubAny,
		ModeInfo:  &txtypes.ModeInfo{Sum: &txtypes.ModeInfo_Single_{Single: &txtypes.ModeInfo_Single{Mode: signingtypes.SignMode_SIGN_MODE_DIRECT}}},
		Sequence:  seq,
	}
	auth := txtypes.AuthInfo{Fee: &txtypes.Fee{Amount: fee, GasLimit: gas}}
	for range copies {
		auth.SignerInfos = append(auth.SignerInfos, info)
	}
	authBytes, err := auth.Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	chainID := rt.ChainID
	if chainID == "" {
		chainID = testChainID
	}
	doc := txtypes.SignDoc{BodyBytes: body, AuthInfoBytes: authBytes, ChainId: chainID, AccountNumber: accNum}
	docBytes, err := doc.Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	sig, _, err := s.kr.Sign(s.name, docBytes, signingtypes.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		s.t.Fatal(err)
	}
	raw := txtypes.TxRaw{BodyBytes: body, AuthInfoBytes: authBytes}
	for range copies {
		raw.Signatures = append(raw.Signatures, sig)
	}
	out, err := raw.Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// anyOf packs a message the ordinary way.
func anyOf(t testing.TB, m gogoproto.Message) *codectypes.Any {
	t.Helper()
	a, err := codectypes.NewAnyWithValue(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// coinBytes encodes a cosmos.base.v1beta1.Coin by hand, so the amount can be
// anything a string can say (above 2^256, negative, not a number).
func coinBytes(denom, amount string) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, denom)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, amount)
}

// addrCoins encodes a message made of an address (field 1) and coins
// (field 2): bank Input and Output.
func addrCoins(addr string, coins ...[]byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, addr)
	for _, c := range coins {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, c)
	}
	return b
}

// rawMsgSend is a cosmos.bank.v1beta1.MsgSend with hand-encoded coins.
func rawMsgSend(from, to string, coins ...[]byte) *codectypes.Any {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, from)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, to)
	for _, c := range coins {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, c)
	}
	return &codectypes.Any{TypeUrl: sdk.MsgTypeURL(&banktypes.MsgSend{}), Value: b}
}

// rawMsgMultiSend is a cosmos.bank.v1beta1.MsgMultiSend from encoded inputs and outputs.
func rawMsgMultiSend(inputs, outputs [][]byte) *codectypes.Any {
	var b []byte
	for _, in := range inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, in)
	}
	for _, out := range outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, out)
	}
	return &codectypes.Any{TypeUrl: sdk.MsgTypeURL(&banktypes.MsgMultiSend{}), Value: b}
}

// checkTxAnswer is CometBFT broadcast_tx_sync's answer: CheckTx's result,
// or the JSON-RPC error when the node refused the transaction before CheckTx.
type checkTxAnswer struct {
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace"`
	Log       string `json:"log"`
	Hash      string `json:"hash"`
	RPCError  string `json:"-"`
}

func (a checkTxAnswer) String() string {
	if a.RPCError != "" {
		return "JSON-RPC error: " + a.RPCError
	}
	return fmt.Sprintf("code %d (%s): %s", a.Code, a.Codespace, a.Log)
}

// broadcastRPC sends tx with CometBFT JSON-RPC broadcast_tx_sync (POST).
func (n *node) broadcastRPC(t testing.TB, tx []byte) checkTxAnswer {
	t.Helper()
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "broadcast_tx_sync",
		"params": map[string]any{"tx": base64.StdEncoding.EncodeToString(tx)}})
	status, body := call(t, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/", n.ports.RPC), req, "Content-Type", "application/json")
	var env struct {
		Result *checkTxAnswer `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("broadcast_tx_sync: %d %.300s: %v", status, body, err)
	}
	if env.Error != nil {
		return checkTxAnswer{RPCError: fmt.Sprintf("%d %s: %s", env.Error.Code, env.Error.Message, env.Error.Data)}
	}
	if env.Result == nil {
		t.Fatalf("broadcast_tx_sync: %d %.300s", status, body)
	}
	return *env.Result
}

// broadcastGRPC sends tx with the Cosmos gRPC tx service (BROADCAST_MODE_SYNC).
func (n *node) broadcastGRPC(t testing.TB, tx []byte) checkTxAnswer {
	t.Helper()
	conn := n.grpcConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := txtypes.NewServiceClient(conn).BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: tx, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return checkTxAnswer{RPCError: err.Error()}
	}
	r := res.TxResponse
	return checkTxAnswer{Code: r.Code, Codespace: r.Codespace, Log: r.RawLog, Hash: r.TxHash}
}

// grpcConn is a plaintext gRPC client connection to the node, closed at cleanup.
func (n *node) grpcConn(t testing.TB) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// grpcBalance reads a uait balance over gRPC: the gRPC port still serves.
func (n *node) grpcBalance(t testing.TB, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := banktypes.NewQueryClient(n.grpcConn(t)).Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr, Denom: denom})
	if err != nil {
		t.Fatalf("gRPC bank balance: %v", err)
	}
	return res.Balance.Amount.String()
}

// jsonRPC POSTs a raw body to CometBFT JSON-RPC and returns status and body.
func (n *node) jsonRPC(t testing.TB, body []byte) (int, []byte) {
	t.Helper()
	return call(t, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/", n.ports.RPC), body, "Content-Type", "application/json")
}
