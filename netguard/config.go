package netguard

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cast"
)

// Config is the [guard] section of app.toml.
type Config struct {
	// Enable fronts CometBFT RPC, Cosmos REST and gRPC with the guard. The
	// facade's listeners are guarded whatever this says.
	Enable bool `mapstructure:"enable"`
	// MaxConnections caps each public listener; 0 derives the cap from the
	// file limit.
	MaxConnections int `mapstructure:"max-connections"`
	// MaxConnectionsPerIP caps each listener's connections from one client IP.
	MaxConnectionsPerIP int           `mapstructure:"max-connections-per-ip"`
	IdleTimeout         time.Duration `mapstructure:"idle-timeout"`
}

// Keys of the [guard] section, as viper spells them.
const (
	KeyEnable              = "guard.enable"
	KeyMaxConnections      = "guard.max-connections"
	KeyMaxConnectionsPerIP = "guard.max-connections-per-ip"
	KeyIdleTimeout         = "guard.idle-timeout"
)

// DefaultConfig is what `aitbcd init` writes.
func DefaultConfig() Config {
	return Config{Enable: true, MaxConnectionsPerIP: DefaultMaxConnsPerIP, IdleTimeout: DefaultIdleTimeout}
}

// FromOptions reads the [guard] settings; unset keys keep their defaults
// (an app.toml written before the guard existed has no [guard] section).
func FromOptions(opts interface{ Get(string) any }) (Config, error) {
	cfg := DefaultConfig()
	var errs []error
	if v := opts.Get(KeyEnable); v != nil {
		b, err := cast.ToBoolE(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: want true or false, got %v", KeyEnable, v))
		}
		cfg.Enable = b
	}
	for _, k := range []struct {
		key string
		dst *int
	}{{KeyMaxConnections, &cfg.MaxConnections}, {KeyMaxConnectionsPerIP, &cfg.MaxConnectionsPerIP}} {
		if v := opts.Get(k.key); v != nil {
			i, err := cast.ToIntE(v)
			if err != nil || i < 0 {
				errs = append(errs, fmt.Errorf("%s: want 0 or a positive integer, got %v", k.key, v))
			}
			*k.dst = i
		}
	}
	if v := opts.Get(KeyIdleTimeout); v != nil {
		d, err := cast.ToDurationE(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a duration above 0 such as 30s, got %v", KeyIdleTimeout, v))
		}
		cfg.IdleTimeout = d
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if cfg.MaxConnectionsPerIP == 0 {
		cfg.MaxConnectionsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.MaxConnections > 0 && cfg.MaxConnectionsPerIP > cfg.MaxConnections {
		return Config{}, fmt.Errorf("%s (%d) is above %s (%d)", KeyMaxConnectionsPerIP, cfg.MaxConnectionsPerIP, KeyMaxConnections, cfg.MaxConnections)
	}
	return cfg, nil
}

// ConfigTemplate is the [guard] section of app.toml.
const ConfigTemplate = `
###############################################################################
###                         Connection guard                                ###
###############################################################################

# Caps on every public listener, so that no client can spend the file
# descriptors consensus needs (docs/operations.md, "Facing the internet").
# At start the node raises its soft file limit to the hard one, keeps a
# reserve for consensus (databases, peers, WAL, signing state) and shares the
# rest between the listeners; it refuses to start if the caps cannot fit.
[guard]

# Front CometBFT RPC, Cosmos REST and gRPC with the guard: the services move to
# loopback ports and the guard listens on their configured addresses. The
# facade's listeners are always guarded.
enable = {{ .Guard.Enable }}

# Connections open at once on each public listener; 0 derives the cap from
# the file limit (logged at start as "connection budget").
max-connections = {{ .Guard.MaxConnections }}

# Connections open at once on each listener from one client IP address.
max-connections-per-ip = {{ .Guard.MaxConnectionsPerIP }}

# A connection that carries no byte for this long is closed.
idle-timeout = "{{ .Guard.IdleTimeout }}"
`
