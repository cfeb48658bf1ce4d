//! One builder per instruction of the program. Each takes the keys that cannot be derived
//! (signers, mints, the accounts acted on) and derives the rest ([`crate::pda`]); the
//! instruction data is Anchor's (8-byte discriminator + Borsh arguments). Instructions that
//! run a margin check take its remaining accounts (`remaining`, from
//! [`crate::margin_check_accounts`] or [`crate::RemainingAccounts`]) and append them.
use crate::pda;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas, system_program};
use portfolio_margin::accounts as a;
use portfolio_margin::instruction as d;
use portfolio_margin::instructions::{ConfigInitArgs, FundingParams, InstrumentTerms, TradeArgs, VenueTradeArgs};
use portfolio_margin::liquidation::LiquidateArgs;
use portfolio_margin::state::{
    CollateralParams, GridPoint, LiquidationParams, RateSource, UnderlyingParams, VenueParams, VolSurface,
};

/// An instruction of the program from Anchor's accounts struct and instruction data.
pub fn ix<A: ToAccountMetas, D: InstructionData>(accounts: A, data: D) -> Instruction {
    Instruction { program_id: portfolio_margin::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// `ix` with `remaining` appended.
fn with(mut ix: Instruction, remaining: impl IntoIterator<Item = AccountMeta>) -> Instruction {
    ix.accounts.extend(remaining);
    ix
}

// ---- admin ----

/// `config_init`, signed by the program's upgrade authority `admin`.
pub fn config_init(admin: &Pubkey, args: ConfigInitArgs) -> Instruction {
    ix(
        a::ConfigInit {
            config: pda::config(),
            vault_authority: pda::vault_authority(),
            admin: *admin,
            program: portfolio_margin::ID,
            program_data: pda::program_data(),
            system_program: system_program::ID,
        },
        d::ConfigInit { args },
    )
}

/// `config_propose_authority(role, new)` signed by the role's current `authority`.
pub fn config_propose_authority(authority: &Pubkey, role: u8, new: Pubkey) -> Instruction {
    ix(
        a::ConfigProposeAuthority { config: pda::config(), authority: *authority },
        d::ConfigProposeAuthority { role, new },
    )
}

/// `config_accept_authority(role)` signed by `new_authority`.
pub fn config_accept_authority(new_authority: &Pubkey, role: u8) -> Instruction {
    ix(
        a::ConfigAcceptAuthority { config: pda::config(), new_authority: *new_authority },
        d::ConfigAcceptAuthority { role },
    )
}

pub fn config_set_liquidation(risk_authority: &Pubkey, params: LiquidationParams) -> Instruction {
    ix(
        a::ConfigSetLiquidation { config: pda::config(), risk_authority: *risk_authority },
        d::ConfigSetLiquidation { params },
    )
}

/// Opens the insurance fund (once), paid by `payer`.
pub fn insurance_init(payer: &Pubkey) -> Instruction {
    ix(
        a::InsuranceInit {
            config: pda::config(),
            vault_authority: pda::vault_authority(),
            insurance: pda::insurance(),
            payer: *payer,
            system_program: system_program::ID,
        },
        d::InsuranceInit {},
    )
}

pub fn config_set_pause(admin: &Pubkey, paused: u8) -> Instruction {
    ix(a::ConfigSetPause { config: pda::config(), admin: *admin }, d::ConfigSetPause { paused })
}

pub fn grid_propose(risk_authority: &Pubkey, points: Vec<GridPoint>) -> Instruction {
    ix(a::GridPropose { config: pda::config(), risk_authority: *risk_authority }, d::GridPropose { points })
}

pub fn grid_apply() -> Instruction {
    ix(a::GridApply { config: pda::config() }, d::GridApply {})
}

// ---- registry ----

/// Registers `mint` (owned by `token_program`) as collateral. A mapped asset (`params.group`)
/// passes its underlying in `remaining`.
pub fn collateral_register(
    mint: &Pubkey,
    token_program: Pubkey,
    params: CollateralParams,
    risk_authority: &Pubkey,
    payer: &Pubkey,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let accounts = a::CollateralRegister {
        config: pda::config(),
        asset: pda::asset(mint),
        mint: *mint,
        vault: pda::vault(mint),
        vault_authority: pda::vault_authority(),
        risk_authority: *risk_authority,
        payer: *payer,
        token_program,
        system_program: system_program::ID,
    };
    with(ix(accounts, d::CollateralRegister { params }), remaining)
}

/// Pins a receipt token's exchange-rate account (before its first deposit).
pub fn collateral_set_rate_source(
    asset: &Pubkey,
    source: RateSource,
    rate_account: &Pubkey,
    risk_authority: &Pubkey,
) -> Instruction {
    let accounts = a::CollateralSetRateSource {
        config: pda::config(),
        asset: *asset,
        risk_authority: *risk_authority,
        rate_account: *rate_account,
    };
    ix(accounts, d::CollateralSetRateSource { source })
}

pub fn collateral_update(
    asset: &Pubkey,
    params: CollateralParams,
    risk_authority: &Pubkey,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let accounts = a::CollateralUpdate { config: pda::config(), asset: *asset, risk_authority: *risk_authority };
    with(ix(accounts, d::CollateralUpdate { params }), remaining)
}

pub fn collateral_propose(
    asset: &Pubkey,
    params: CollateralParams,
    risk_authority: &Pubkey,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let accounts = a::CollateralPropose {
        config: pda::config(),
        asset: *asset,
        pending: pda::pending(asset),
        risk_authority: *risk_authority,
        system_program: system_program::ID,
    };
    with(ix(accounts, d::CollateralPropose { params }), remaining)
}

/// Applies a due collateral proposal; the rent goes back to `payer` (the proposer).
pub fn collateral_apply(asset: &Pubkey, payer: &Pubkey, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts =
        a::CollateralApply { config: pda::config(), asset: *asset, pending: pda::pending(asset), payer: *payer };
    with(ix(accounts, d::CollateralApply {}), remaining)
}

pub fn underlying_propose(underlying: &Pubkey, params: UnderlyingParams, risk_authority: &Pubkey) -> Instruction {
    ix(
        a::UnderlyingPropose {
            config: pda::config(),
            underlying: *underlying,
            pending: pda::pending(underlying),
            risk_authority: *risk_authority,
            system_program: system_program::ID,
        },
        d::UnderlyingPropose { params },
    )
}

pub fn underlying_apply(underlying: &Pubkey, payer: &Pubkey) -> Instruction {
    ix(
        a::UnderlyingApply {
            config: pda::config(),
            underlying: *underlying,
            pending: pda::pending(underlying),
            payer: *payer,
        },
        d::UnderlyingApply {},
    )
}

/// Withdraws the pending proposal of `target` (an asset or an underlying).
pub fn params_cancel(target: &Pubkey, risk_authority: &Pubkey) -> Instruction {
    ix(
        a::ParamsCancel { config: pda::config(), pending: pda::pending(target), risk_authority: *risk_authority },
        d::ParamsCancel {},
    )
}

// ---- accounts and collateral ----

pub fn account_open(owner: &Pubkey, sub_id: u16, payer: &Pubkey) -> Instruction {
    ix(
        a::AccountOpen {
            margin_account: pda::margin_account(owner, sub_id),
            owner: *owner,
            payer: *payer,
            system_program: system_program::ID,
        },
        d::AccountOpen { sub_id },
    )
}

pub fn account_set_delegate(margin_account: &Pubkey, owner: &Pubkey, delegate: Pubkey) -> Instruction {
    ix(a::AccountSetDelegate { margin_account: *margin_account, owner: *owner }, d::AccountSetDelegate { delegate })
}

/// Deposits `amount` native units of `mint` from `source` (signed by `depositor`) into
/// `margin_account`; `vault` is the asset's vault ([`pda::vault`]).
#[allow(clippy::too_many_arguments)]
pub fn deposit(
    margin_account: &Pubkey,
    mint: &Pubkey,
    vault: &Pubkey,
    source: &Pubkey,
    depositor: &Pubkey,
    token_program: Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        a::Deposit {
            config: pda::config(),
            asset: pda::asset(mint),
            margin_account: *margin_account,
            mint: *mint,
            vault: *vault,
            source: *source,
            depositor: *depositor,
            token_program,
        },
        d::Deposit { amount },
    )
}

/// Withdraws to `destination`, signed by the owner; `remaining` is the account's margin
/// check ([`crate::margin_check_accounts`]).
pub fn withdraw(
    margin_account: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    owner: &Pubkey,
    token_program: Pubkey,
    amount: u64,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let accounts = a::Withdraw {
        config: pda::config(),
        asset: pda::asset(mint),
        margin_account: *margin_account,
        mint: *mint,
        vault: pda::vault(mint),
        vault_authority: pda::vault_authority(),
        destination: *destination,
        owner: *owner,
        token_program,
    };
    with(ix(accounts, d::Withdraw { amount }), remaining)
}

// ---- market ----

pub fn underlying_register(
    id: u8,
    params: UnderlyingParams,
    quote_asset: &Pubkey,
    risk_authority: &Pubkey,
    payer: &Pubkey,
) -> Instruction {
    ix(
        a::UnderlyingRegister {
            config: pda::config(),
            underlying: pda::underlying(id),
            quote_asset: *quote_asset,
            risk_authority: *risk_authority,
            payer: *payer,
            system_program: system_program::ID,
        },
        d::UnderlyingRegister { id, params },
    )
}

pub fn underlying_update(underlying: &Pubkey, params: UnderlyingParams, risk_authority: &Pubkey) -> Instruction {
    ix(
        a::UnderlyingUpdate { config: pda::config(), underlying: *underlying, risk_authority: *risk_authority },
        d::UnderlyingUpdate { params },
    )
}

pub fn vol_surface_publish(underlying: &Pubkey, surface: VolSurface, vol_oracle_authority: &Pubkey) -> Instruction {
    ix(
        a::VolSurfacePublish {
            config: pda::config(),
            underlying: *underlying,
            vol_oracle_authority: *vol_oracle_authority,
        },
        d::VolSurfacePublish { surface },
    )
}

/// A new risk snapshot of `underlying` from its Pyth price account `price_update`.
pub fn underlying_refresh(underlying: &Pubkey, price_update: &Pubkey) -> Instruction {
    ix(
        a::UnderlyingRefresh { config: pda::config(), underlying: *underlying, price_update: *price_update },
        d::UnderlyingRefresh {},
    )
}

/// Lists an instrument; returns it with its address.
pub fn instrument_create(
    underlying: &Pubkey,
    terms: InstrumentTerms,
    risk_authority: &Pubkey,
    payer: &Pubkey,
) -> (Instruction, Pubkey) {
    let instrument = pda::instrument(underlying, &terms);
    let ix = ix(
        a::InstrumentCreate {
            config: pda::config(),
            underlying: *underlying,
            instrument,
            risk_authority: *risk_authority,
            payer: *payer,
            system_program: system_program::ID,
        },
        d::InstrumentCreate { terms },
    );
    (ix, instrument)
}

/// An instrument's risk cache refreshed from its underlying's snapshot (the crank).
pub fn instrument_refresh(underlying: &Pubkey, instrument: &Pubkey) -> Instruction {
    ix(
        a::InstrumentRefresh { config: pda::config(), underlying: *underlying, instrument: *instrument },
        d::InstrumentRefresh {},
    )
}

pub fn instrument_set_funding(
    underlying: &Pubkey,
    instrument: &Pubkey,
    params: FundingParams,
    risk_authority: &Pubkey,
) -> Instruction {
    ix(
        a::InstrumentSetFunding {
            config: pda::config(),
            underlying: *underlying,
            instrument: *instrument,
            risk_authority: *risk_authority,
        },
        d::InstrumentSetFunding { params },
    )
}

// ---- trading, settlement, reports ----

/// The accounts of a trade: the market it is in and both sides (margin account, signer).
#[derive(Clone, Copy, Debug)]
pub struct TradeAccounts {
    pub underlying: Pubkey,
    pub instrument: Pubkey,
    pub quote_asset: Pubkey,
    pub maker_account: Pubkey,
    pub maker: Pubkey,
    pub taker_account: Pubkey,
    pub taker: Pubkey,
}

/// A trade signed by both sides; `remaining` covers both accounts' margin checks (one list
/// serves both: [`crate::margin_check_accounts`] of both accounts after the trade).
pub fn trade(t: &TradeAccounts, args: TradeArgs, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts = a::Trade {
        config: pda::config(),
        underlying: t.underlying,
        instrument: t.instrument,
        quote_asset: t.quote_asset,
        maker_account: t.maker_account,
        taker_account: t.taker_account,
        maker: t.maker,
        taker: t.taker,
    };
    with(ix(accounts, d::Trade { args }), remaining)
}

/// Fixes an expired instrument's settlement price from the update that straddles expiry.
pub fn settle_price_set(underlying: &Pubkey, instrument: &Pubkey, price_update: &Pubkey) -> Instruction {
    ix(
        a::SettlePriceSet {
            config: pda::config(),
            underlying: *underlying,
            instrument: *instrument,
            price_update: *price_update,
        },
        d::SettlePriceSet {},
    )
}

/// Settles `margin_account`'s position in `instrument` (expired: anyone; a live future's or
/// perpetual's P&L: pass the owner or delegate as `realizer`, the first remaining account).
pub fn settle_position(
    underlying: &Pubkey,
    instrument: &Pubkey,
    quote_asset: &Pubkey,
    margin_account: &Pubkey,
    realizer: Option<Pubkey>,
) -> Instruction {
    let accounts = a::SettlePosition {
        config: pda::config(),
        underlying: *underlying,
        instrument: *instrument,
        quote_asset: *quote_asset,
        margin_account: *margin_account,
    };
    with(ix(accounts, d::SettlePosition {}), realizer.map(|k| AccountMeta::new_readonly(k, true)))
}

/// The account's margin report as return data (a view: simulate it).
pub fn margin_report(margin_account: &Pubkey, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts = a::MarginReport { config: pda::config(), margin_account: *margin_account };
    with(ix(accounts, d::MarginReport {}), remaining)
}

// ---- liquidation ----

/// Starts the account's auction clock (it must be under maintenance).
pub fn liquidation_flag(margin_account: &Pubkey, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts = a::LiquidationFlag { config: pda::config(), margin_account: *margin_account };
    with(ix(accounts, d::LiquidationFlag {}), remaining)
}

/// The program's liquidation plan of the account as return data (a view: simulate it).
pub fn liquidation_plan(quote_asset: &Pubkey, margin_account: &Pubkey, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts =
        a::LiquidationPlanView { config: pda::config(), quote_asset: *quote_asset, margin_account: *margin_account };
    with(ix(accounts, d::LiquidationPlan {}), remaining)
}

/// Liquidates `liquidatee` into `liquidator_account` (signed by `liquidator`); `remaining`
/// covers both accounts with the instruments writable
/// ([`crate::margin_check_accounts`]`(.., true)`).
pub fn liquidate(
    quote_asset: &Pubkey,
    liquidatee: &Pubkey,
    liquidator_account: &Pubkey,
    liquidator: &Pubkey,
    args: LiquidateArgs,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let accounts = a::Liquidate {
        config: pda::config(),
        quote_asset: *quote_asset,
        liquidatee: *liquidatee,
        liquidator_account: *liquidator_account,
        liquidator: *liquidator,
        insurance: pda::insurance(),
        vault_authority: pda::vault_authority(),
    };
    with(ix(accounts, d::Liquidate { args }), remaining)
}

/// The loss waterfall of an account left with only a debt in `quote_asset`.
pub fn resolve_bankruptcy(quote_asset: &Pubkey, margin_account: &Pubkey, remaining: Vec<AccountMeta>) -> Instruction {
    let accounts = a::ResolveBankruptcy {
        config: pda::config(),
        quote_asset: *quote_asset,
        margin_account: *margin_account,
        insurance: pda::insurance(),
        vault_authority: pda::vault_authority(),
    };
    with(ix(accounts, d::ResolveBankruptcy {}), remaining)
}

// ---- venues ----

/// Registers `venue_program` with the key it signs fills with (a program's
/// [`pda::venue_authority`]), signed by the risk authority.
pub fn venue_register(
    risk_authority: &Pubkey,
    venue_program: &Pubkey,
    authority: &Pubkey,
    params: VenueParams,
) -> Instruction {
    ix(
        a::VenueRegister {
            config: pda::config(),
            venue: pda::venue(venue_program),
            risk_authority: *risk_authority,
            system_program: system_program::ID,
        },
        d::VenueRegister { venue_program: *venue_program, authority: *authority, params },
    )
}

/// Changes a venue's scope, cap and active flag, signed by the risk authority.
pub fn venue_update(risk_authority: &Pubkey, venue_program: &Pubkey, params: VenueParams) -> Instruction {
    ix(
        a::VenueUpdate { config: pda::config(), venue: pda::venue(venue_program), risk_authority: *risk_authority },
        d::VenueUpdate { params },
    )
}

/// The margin account's owner approves the venue of `venue_program`.
pub fn venue_approve(
    margin_account: &Pubkey,
    owner: &Pubkey,
    venue_program: &Pubkey,
    max_lots_per_trade: u64,
) -> Instruction {
    let venue = pda::venue(venue_program);
    ix(
        a::VenueApprove {
            margin_account: *margin_account,
            venue,
            approval: pda::venue_approval(margin_account, &venue),
            owner: *owner,
            system_program: system_program::ID,
        },
        d::VenueApprove { max_lots_per_trade },
    )
}

/// The owner revokes its account's approval of the venue of `venue_program`.
pub fn venue_revoke(margin_account: &Pubkey, owner: &Pubkey, venue_program: &Pubkey) -> Instruction {
    let approval = pda::venue_approval(margin_account, &pda::venue(venue_program));
    ix(a::VenueRevoke { approval, owner: *owner }, d::VenueRevoke {})
}

/// A venue's fill: `t` as for [`trade`] (`maker`/`taker` unused: the approvals stand in for
/// them), signed by `authority` (the venue's registered key); `remaining` as for `trade`.
pub fn venue_trade(
    t: &TradeAccounts,
    venue_program: &Pubkey,
    authority: &Pubkey,
    args: VenueTradeArgs,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let venue = pda::venue(venue_program);
    let accounts = a::VenueTrade {
        config: pda::config(),
        underlying: t.underlying,
        instrument: t.instrument,
        quote_asset: t.quote_asset,
        maker_account: t.maker_account,
        taker_account: t.taker_account,
        venue,
        authority: *authority,
        maker_approval: pda::venue_approval(&t.maker_account, &venue),
        taker_approval: pda::venue_approval(&t.taker_account, &venue),
    };
    with(ix(accounts, d::VenueTrade { args }), remaining)
}
