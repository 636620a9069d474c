package indexer

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
)

// SDKTxDecoder reads transactions with the application's decoder (the
// client's TxConfig().TxDecoder()): signers, message type URLs, fee, fee
// payer and memo, with addresses in the SDK's configured bech32 prefix.
func SDKTxDecoder(decode sdk.TxDecoder) TxDecoder {
	return func(txBytes []byte) (TxInfo, error) {
		tx, err := decode(txBytes)
		if err != nil {
			return TxInfo{}, err
		}
		var info TxInfo
		for _, msg := range tx.GetMsgs() {
			info.MsgTypes = append(info.MsgTypes, sdk.MsgTypeURL(msg))
		}
		if sv, ok := tx.(authsigning.SigVerifiableTx); ok {
			signers, err := sv.GetSigners()
			if err != nil {
				return TxInfo{}, fmt.Errorf("signers: %w", err)
			}
			for _, s := range signers {
				info.Signers = append(info.Signers, sdk.AccAddress(s).String())
			}
		}
		if ft, ok := tx.(sdk.FeeTx); ok {
			for _, c := range ft.GetFee() {
				info.Fee = append(info.Fee, Coin{Denom: c.Denom, Amount: c.Amount.String()})
			}
			if payer := ft.FeePayer(); len(payer) > 0 {
				info.FeePayer = sdk.AccAddress(payer).String()
			}
		}
		if mt, ok := tx.(sdk.TxWithMemo); ok {
			info.Memo = mt.GetMemo()
		}
		return info, nil
	}
}
