package types

import (
	"fmt"
	"sync"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// enumFiles declare the enums Cosmos REST takes as query parameters
// (?state=JOB_STATE_OPEN).
var enumFiles = []string{"aitbc/compute/v1/types.proto"}

var registerEnums sync.Once

// RegisterGatewayEnums lets Cosmos REST (grpc-gateway v1) parse this
// module's enum query parameters by name. The gateway looks enum names up in
// the Go protobuf registry (protoregistry.GlobalFiles), and gogoproto
// registers our files only in its own, so without this `?state=` took only
// numbers. It adds the very descriptor gogoproto built, so the two registries
// agree (proto.MergedRegistry compares them) and nothing on the wire changes.
func RegisterGatewayEnums() {
	registerEnums.Do(func() {
		for _, path := range enumFiles {
			if _, err := protoregistry.GlobalFiles.FindFileByPath(path); err == nil {
				continue
			}
			fd, err := gogoproto.GogoResolver.FindFileByPath(path)
			if err != nil {
				panic(fmt.Errorf("x/compute: %s is not registered with gogoproto: %w", path, err))
			}
			if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
				panic(fmt.Errorf("x/compute: registering %s for the REST gateway: %w", path, err))
			}
		}
	})
}
