// opt-22 pass plugin for building Solana SBF programs with upstream LLVM 22 (no platform-tools).
// Loaded by scripts/sbf/link.sh between the two sbpf-linker runs:
//
//   opt -load-pass-plugin=libsbf_lower.so -passes=sbf-lower-i128,sbf-pack-args,sbf-check
//
// Why: LLVM 22's BPF backend
//   * has no 128-bit multiply/divide/variable shift: it emits libcalls (__multi3, __udivti3,
//     __ashlti3, ...) that return i128, refuses them ("A call to built-in function ... is not
//     supported", "only small returns supported"), and the code it leaves behind returns 0.
//     u64::checked_mul and overflow-checked u64 `*` go the same way (they widen to i128);
//   * passes at most 5 arguments, in registers, and has no stack arguments;
//   * refuses `sret` ("aggregate returns are not supported") although the pointer is just an
//     ordinary first argument.
//
// Passes (all module passes):
//   sbf-lower-i128  i128 mul, div/rem (one shared helper, Knuth/Hacker's Delight with 64-bit
//                   hardware division, not bit-serial), variable shifts, funnel shifts, and
//                   {u,s}mul.with.overflow on i64/i128 -> plain i64 IR.
//   sbf-pack-args   a call or function needing more than 5 argument registers keeps its first
//                   arguments (up to 4 registers) and gets the rest in a struct, by pointer, as
//                   the 5th; strips `sret`.
//   sbf-check       lists every remaining construct the backend cannot emit (with demangled
//                   function names) and exits non-zero. The build treats that as fatal.
//
// What the backend legalizes by itself (and so is left alone): i128 add/sub/compare/select,
// bitwise ops, constant shifts, zext/sext/trunc, ctlz/cttz/ctpop, i128 loads and stores.

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <tuple>
#include <vector>

using namespace llvm;

namespace {

// ------------------------------------------------------------------------------------------
// 64-bit building blocks. A 128-bit value is handled as (lo, hi) i64 halves.
// ------------------------------------------------------------------------------------------
struct Halves {
  Value *Lo, *Hi;
};

class Ops {
public:
  IRBuilder<> &B;
  Type *I64, *I128;

  explicit Ops(IRBuilder<> &B) : B(B), I64(B.getInt64Ty()), I128(B.getIntNTy(128)) {}

  Value *k(uint64_t V) { return ConstantInt::get(I64, V); }

  Halves split(Value *V) {
    return {B.CreateTrunc(V, I64), B.CreateTrunc(B.CreateLShr(V, 64), I64)};
  }
  Value *join(Halves H) {
    return B.CreateOr(B.CreateZExt(H.Lo, I128), B.CreateShl(B.CreateZExt(H.Hi, I128), 64));
  }
  Value *sel(Value *C, Halves T, Halves F) {
    return join({B.CreateSelect(C, T.Lo, F.Lo), B.CreateSelect(C, T.Hi, F.Hi)});
  }

  // a * b as a full 128-bit product, from 32-bit limbs (the low word is the native wrapping
  // multiply; the limbs only produce the carries into the high word). Later instcombine drops
  // the partial products of limbs known to be zero (u64 x u32, zero-extended operands...).
  Halves mulWide(Value *A, Value *Bv) {
    Value *M32 = k(0xffffffffULL);
    Value *A0 = B.CreateAnd(A, M32), *A1 = B.CreateLShr(A, 32);
    Value *B0 = B.CreateAnd(Bv, M32), *B1 = B.CreateLShr(Bv, 32);
    Value *LL = B.CreateMul(A0, B0), *LH = B.CreateMul(A0, B1);
    Value *HL = B.CreateMul(A1, B0), *HH = B.CreateMul(A1, B1);
    // Column 32..63: < 3 * 2^32, cannot overflow.
    Value *Col = B.CreateAdd(B.CreateLShr(LL, 32),
                             B.CreateAdd(B.CreateAnd(LH, M32), B.CreateAnd(HL, M32)));
    Value *Hi = B.CreateAdd(B.CreateAdd(HH, B.CreateLShr(Col, 32)),
                            B.CreateAdd(B.CreateLShr(LH, 32), B.CreateLShr(HL, 32)));
    return {B.CreateMul(A, Bv), Hi};
  }

  // Wrapping multiply of any width > 64 (i128; also i256, which O3 forms for u128
  // multiply-high by a constant, e.g. in core's u128 formatting): schoolbook over 64-bit limbs,
  // keeping only the limbs of the truncated product. Per step r + a*b + carry < 2^128, so the
  // carry fits one word.
  Value *mul(Value *X, Value *Y) {
    auto *T = cast<IntegerType>(X->getType());
    unsigned N = (T->getBitWidth() + 63) / 64;
    Type *WT = B.getIntNTy(N * 64);
    auto limbs = [&](Value *V) {
      V = B.CreateZExt(V, WT);
      std::vector<Value *> L;
      for (unsigned I = 0; I < N; ++I)
        L.push_back(B.CreateTrunc(I ? B.CreateLShr(V, I * 64) : V, I64));
      return L;
    };
    std::vector<Value *> A = limbs(X), C = limbs(Y), R(N, k(0));
    for (unsigned I = 0; I < N; ++I) {
      Value *Carry = k(0);
      for (unsigned J = 0; I + J < N; ++J) {
        if (I + J == N - 1) { // top limb: only its low word survives the truncation
          R[N - 1] = B.CreateAdd(R[N - 1], B.CreateAdd(B.CreateMul(A[I], C[J]), Carry));
          break;
        }
        Halves P = mulWide(A[I], C[J]);
        Value *S1 = B.CreateAdd(R[I + J], P.Lo);
        Value *S2 = B.CreateAdd(S1, Carry);
        Value *C1 = B.CreateZExt(B.CreateICmpULT(S1, P.Lo), I64);
        Value *C2 = B.CreateZExt(B.CreateICmpULT(S2, Carry), I64);
        R[I + J] = S2;
        Carry = B.CreateAdd(P.Hi, B.CreateAdd(C1, C2));
      }
    }
    Value *Res = B.CreateZExt(R[0], WT);
    for (unsigned I = 1; I < N; ++I)
      Res = B.CreateOr(Res, B.CreateShl(B.CreateZExt(R[I], WT), I * 64));
    return B.CreateTrunc(Res, T);
  }

  // Shift by a variable amount. LLVM makes amounts >= 128 poison, so only the low 7 bits
  // matter. Within a word, `(x >> 1) >> (63 - s)` is `x >> (64 - s)` but stays defined
  // (and 0) for s = 0.
  Value *shift(Instruction::BinaryOps Op, Value *X, Value *Amount) {
    Halves V = split(X);
    Value *N = B.CreateAnd(B.CreateTrunc(Amount, I64), k(127));
    Value *WholeWord = B.CreateICmpUGE(N, k(64));
    Value *S = B.CreateAnd(N, k(63)), *Back = B.CreateSub(k(63), S);
    if (Op == Instruction::Shl) {
      Value *Lo = B.CreateShl(V.Lo, S);
      Value *Hi = B.CreateOr(B.CreateShl(V.Hi, S), B.CreateLShr(B.CreateLShr(V.Lo, 1), Back));
      return sel(WholeWord, {k(0), Lo}, {Lo, Hi});
    }
    Value *Spill = B.CreateShl(B.CreateShl(V.Hi, 1), Back); // low bits of hi, into lo
    Value *Lo = B.CreateOr(B.CreateLShr(V.Lo, S), Spill);
    if (Op == Instruction::LShr) {
      Value *Hi = B.CreateLShr(V.Hi, S);
      return sel(WholeWord, {Hi, k(0)}, {Lo, Hi});
    }
    Value *Hi = B.CreateAShr(V.Hi, S);
    return sel(WholeWord, {Hi, B.CreateAShr(V.Hi, 63)}, {Lo, Hi});
  }

  // fshl(x, y, n) = (x << s) | (y >> (128 - s)), fshr(x, y, n) = (x << (128 - s)) | (y >> s),
  // s = n % 128, with the s = 0 case falling out of the split shift as above.
  Value *funnel(bool Left, Value *X, Value *Y, Value *N) {
    Value *S = B.CreateAnd(N, ConstantInt::get(I128, 127));
    Value *Back = B.CreateSub(ConstantInt::get(I128, 127), S);
    if (Left)
      return B.CreateOr(shift(Instruction::Shl, X, S),
                        shift(Instruction::LShr, B.CreateLShr(Y, 1), Back));
    return B.CreateOr(shift(Instruction::Shl, B.CreateShl(X, 1), Back),
                      shift(Instruction::LShr, Y, S));
  }
};

// ------------------------------------------------------------------------------------------
// The division helper, emitted once per module that needs it:
//   void __sbf_udivmod128(ptr out, i64 xl, i64 xh, i64 yl, i64 yh)
//   out[0..2] = x / y, out[2..4] = x % y (unsigned, y != 0: Rust checks before dividing).
// Hacker's Delight `divlu` (Knuth D with 32-bit digits over the 64-bit hardware divide) and
// `divu128` on top of it: tens of instructions, where a bit-serial loop needs thousands.
// ------------------------------------------------------------------------------------------
const char *DivHelperName = "__sbf_udivmod128";

// (u1:u0) / v for u1 < v: 64-bit quotient and remainder.
static std::pair<Value *, Value *> divlu(Ops &O, Value *U1, Value *U0, Value *V) {
  IRBuilder<> &B = O.B;
  Value *M32 = O.k(0xffffffffULL), *Base = O.k(1ULL << 32);
  Value *S = B.CreateBinaryIntrinsic(Intrinsic::ctlz, V, B.getTrue()); // v != 0
  Value *Vn = B.CreateShl(V, S);
  Value *Vn1 = B.CreateLShr(Vn, 32), *Vn0 = B.CreateAnd(Vn, M32);
  Value *Un32 = B.CreateOr(B.CreateShl(U1, S),
                           B.CreateLShr(B.CreateLShr(U0, 1), B.CreateSub(O.k(63), S)));
  Value *Un10 = B.CreateShl(U0, S);
  Value *Un1 = B.CreateLShr(Un10, 32), *Un0 = B.CreateAnd(Un10, M32);

  // One 32-bit quotient digit: estimate from the top digit of the divisor, then correct it at
  // most twice (Knuth's bound). The second test only applies while rhat < 2^32.
  auto digit = [&](Value *Num, Value *Next) {
    Value *Q = B.CreateUDiv(Num, Vn1), *R = B.CreateURem(Num, Vn1);
    auto tooBig = [&](Value *Q, Value *R) {
      return B.CreateOr(B.CreateICmpUGE(Q, Base),
                        B.CreateICmpUGT(B.CreateMul(Q, Vn0), B.CreateOr(B.CreateShl(R, 32), Next)));
    };
    Value *C1 = tooBig(Q, R);
    Q = B.CreateSub(Q, B.CreateZExt(C1, O.I64));
    R = B.CreateAdd(R, B.CreateSelect(C1, Vn1, O.k(0)));
    Value *C2 = B.CreateAnd(B.CreateAnd(C1, B.CreateICmpULT(R, Base)), tooBig(Q, R));
    return B.CreateSub(Q, B.CreateZExt(C2, O.I64));
  };
  Value *Q1 = digit(Un32, Un1);
  Value *Un21 = B.CreateSub(B.CreateAdd(B.CreateShl(Un32, 32), Un1), B.CreateMul(Q1, Vn));
  Value *Q0 = digit(Un21, Un0);
  Value *R = B.CreateLShr(B.CreateSub(B.CreateAdd(B.CreateShl(Un21, 32), Un0), B.CreateMul(Q0, Vn)), S);
  return {B.CreateOr(B.CreateShl(Q1, 32), Q0), R};
}

static Function *divHelper(Module &M) {
  if (Function *F = M.getFunction(DivHelperName))
    return F;
  LLVMContext &C = M.getContext();
  Type *I64 = Type::getInt64Ty(C);
  auto *FT = FunctionType::get(Type::getVoidTy(C), {PointerType::get(C, 0), I64, I64, I64, I64}, false);
  Function *F = Function::Create(FT, GlobalValue::InternalLinkage, DivHelperName, M);
  // One copy of the code for all divisions of the program.
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::NoUnwind);
  F->addFnAttr(Attribute::WillReturn);
  F->addFnAttr(Attribute::NoFree);
  F->setMemoryEffects(MemoryEffects::argMemOnly(ModRefInfo::Mod));
  F->addParamAttr(0, Attribute::NoAlias);
  F->addParamAttr(0, Attribute::getWithCaptureInfo(C, CaptureInfo::none()));
  Argument *Out = F->getArg(0);
  Value *XL = F->getArg(1), *XH = F->getArg(2), *YL = F->getArg(3), *YH = F->getArg(4);

  auto *Entry = BasicBlock::Create(C, "entry", F);
  auto *Narrow = BasicBlock::Create(C, "divisor.64", F);
  auto *Both64 = BasicBlock::Create(C, "both.64", F);
  auto *OneStep = BasicBlock::Create(C, "quotient.64", F);
  auto *TwoStep = BasicBlock::Create(C, "quotient.128", F);
  auto *Wide = BasicBlock::Create(C, "divisor.128", F);

  auto store = [&](IRBuilder<> &B, Value *QL, Value *QH, Value *RL, Value *RH) {
    Value *Vals[4] = {QL, QH, RL, RH};
    for (unsigned I = 0; I < 4; ++I)
      B.CreateStore(Vals[I], B.CreateConstInBoundsGEP1_64(I64, Out, I));
    B.CreateRetVoid();
  };

  IRBuilder<> B(Entry);
  Ops O(B);
  B.CreateCondBr(B.CreateICmpEQ(YH, O.k(0)), Narrow, Wide);

  // y < 2^64.
  B.SetInsertPoint(Narrow);
  B.CreateCondBr(B.CreateICmpEQ(XH, O.k(0)), Both64, OneStep);
  B.SetInsertPoint(Both64); // the common case: the hardware divide
  store(B, B.CreateUDiv(XL, YL), O.k(0), B.CreateURem(XL, YL), O.k(0));
  B.SetInsertPoint(OneStep);
  {
    auto *Split = BasicBlock::Create(C, "quotient.64.divlu", F);
    B.CreateCondBr(B.CreateICmpULT(XH, YL), Split, TwoStep);
    B.SetInsertPoint(Split);
    auto [Q, R] = divlu(O, XH, XL, YL);
    store(B, Q, O.k(0), R, O.k(0));
  }
  B.SetInsertPoint(TwoStep); // x.hi >= y: high quotient word first
  {
    Value *QH = B.CreateUDiv(XH, YL), *K = B.CreateURem(XH, YL);
    auto [QL, R] = divlu(O, K, XL, YL);
    store(B, QL, QH, R, O.k(0));
  }

  // y >= 2^64: the quotient fits in 64 bits. Normalize y so its top bit is set, divide
  // (x >> 1) by the top word, undo the normalization; the estimate is exact or one too small.
  B.SetInsertPoint(Wide);
  {
    Value *N = B.CreateBinaryIntrinsic(Intrinsic::ctlz, YH, B.getTrue());
    Value *Back = B.CreateSub(O.k(63), N);
    Value *V1 = B.CreateOr(B.CreateShl(YH, N), B.CreateLShr(B.CreateLShr(YL, 1), Back));
    Value *U1H = B.CreateLShr(XH, 1);
    Value *U1L = B.CreateOr(B.CreateLShr(XL, 1), B.CreateShl(XH, 63));
    Value *Q1 = divlu(O, U1H, U1L, V1).first;
    Value *Q0 = B.CreateLShr(Q1, Back);
    Q0 = B.CreateSub(Q0, B.CreateZExt(B.CreateICmpNE(Q0, O.k(0)), O.I64));
    Value *X = O.join({XL, XH}), *Y = O.join({YL, YH});
    Halves P = O.mulWide(Q0, YL);
    Value *Prod = O.join({P.Lo, B.CreateAdd(P.Hi, B.CreateMul(Q0, YH))});
    Value *Rem = B.CreateSub(X, Prod);
    Value *Fix = B.CreateICmpUGE(Rem, Y);
    Q0 = B.CreateAdd(Q0, B.CreateZExt(Fix, O.I64));
    Rem = B.CreateSelect(Fix, B.CreateSub(Rem, Y), Rem);
    Halves R = O.split(Rem);
    store(B, Q0, O.k(0), R.Lo, R.Hi);
  }
  return F;
}

// ------------------------------------------------------------------------------------------
// sbf-lower-i128
// ------------------------------------------------------------------------------------------
static bool isWideDivRem(Instruction &I) {
  if (!I.getType()->isIntegerTy(128))
    return false;
  switch (I.getOpcode()) {
  case Instruction::UDiv: case Instruction::URem: case Instruction::SDiv: case Instruction::SRem:
    return true;
  default:
    return false;
  }
}

// All i128 divisions and remainders of F. A division and a remainder of the same operands in
// the same block share one helper call.
static bool lowerDivisions(Function &F, Module &M) {
  std::vector<BinaryOperator *> Work;
  for (Instruction &I : instructions(F))
    if (isWideDivRem(I))
      Work.push_back(cast<BinaryOperator>(&I));
  if (Work.empty())
    return false;

  Function *Helper = divHelper(M);
  IRBuilder<> EB(&*F.getEntryBlock().getFirstInsertionPt());
  Type *I64 = EB.getInt64Ty();
  AllocaInst *Slot = EB.CreateAlloca(ArrayType::get(I64, 4), nullptr, "sbf.divmod");
  Slot->setAlignment(Align(8));

  // (block, signed, x, y) -> {quotient, remainder} of a call already emitted.
  // Erased only at the end, so that no key can name a freed (and reused) address.
  std::map<std::tuple<BasicBlock *, bool, Value *, Value *>, std::pair<Value *, Value *>> Done;
  for (BinaryOperator *BO : Work) {
    auto Opc = BO->getOpcode();
    bool Signed = Opc == Instruction::SDiv || Opc == Instruction::SRem;
    bool WantRem = Opc == Instruction::URem || Opc == Instruction::SRem;
    Value *X = BO->getOperand(0), *Y = BO->getOperand(1);
    auto Key = std::make_tuple(BO->getParent(), Signed, X, Y);
    auto It = Done.find(Key);
    if (It == Done.end()) {
      // Emitted at BO: the results are reused only by later instructions of the same block.
      IRBuilder<> B(BO);
      Ops O(B);
      Value *Zero = ConstantInt::get(O.I128, 0);
      Value *XN = nullptr, *YN = nullptr, *AX = X, *AY = Y;
      if (Signed) {
        XN = B.CreateICmpSLT(X, Zero);
        YN = B.CreateICmpSLT(Y, Zero);
        AX = B.CreateSelect(XN, B.CreateSub(Zero, X), X); // MIN stays MIN = 2^127 unsigned
        AY = B.CreateSelect(YN, B.CreateSub(Zero, Y), Y);
      }
      Halves HX = O.split(AX), HY = O.split(AY);
      B.CreateLifetimeStart(Slot);
      B.CreateCall(Helper, {Slot, HX.Lo, HX.Hi, HY.Lo, HY.Hi});
      Value *W[4];
      for (unsigned I = 0; I < 4; ++I)
        W[I] = B.CreateLoad(I64, B.CreateConstInBoundsGEP1_64(I64, Slot, I));
      B.CreateLifetimeEnd(Slot);
      Value *Q = O.join({W[0], W[1]}), *R = O.join({W[2], W[3]});
      if (Signed) {
        // Quotient negative when the signs differ; remainder takes the dividend's sign.
        Q = B.CreateSelect(B.CreateXor(XN, YN), B.CreateSub(Zero, Q), Q);
        R = B.CreateSelect(XN, B.CreateSub(Zero, R), R);
      }
      It = Done.emplace(Key, std::make_pair(Q, R)).first;
    }
    BO->replaceAllUsesWith(WantRem ? It->second.second : It->second.first);
  }
  for (BinaryOperator *BO : Work)
    BO->eraseFromParent();
  return true;
}

static bool lowerRest(Function &F) {
  std::vector<Instruction *> Work;
  for (Instruction &I : instructions(F)) {
    if (auto *BO = dyn_cast<BinaryOperator>(&I)) {
      auto *T = dyn_cast<IntegerType>(BO->getType());
      if (!T || T->getBitWidth() <= 64)
        continue;
      auto Op = BO->getOpcode();
      if (Op == Instruction::Mul)
        Work.push_back(BO);
      else if (T->getBitWidth() == 128 &&
          ((Op == Instruction::Shl || Op == Instruction::LShr || Op == Instruction::AShr) &&
           !isa<Constant>(BO->getOperand(1))))
        Work.push_back(BO);
    } else if (auto *II = dyn_cast<IntrinsicInst>(&I)) {
      switch (II->getIntrinsicID()) {
      case Intrinsic::umul_with_overflow:
      case Intrinsic::smul_with_overflow: {
        Type *T = II->getArgOperand(0)->getType();
        if (T->isIntegerTy(64) || T->isIntegerTy(128))
          Work.push_back(II);
        break;
      }
      case Intrinsic::fshl:
      case Intrinsic::fshr:
        if (II->getType()->isIntegerTy(128) && !isa<Constant>(II->getArgOperand(2)))
          Work.push_back(II);
        break;
      default:
        break;
      }
    }
  }

  for (Instruction *I : Work) {
    IRBuilder<> B(I);
    Ops O(B);
    Value *R;
    if (auto *BO = dyn_cast<BinaryOperator>(I)) {
      if (BO->getOpcode() == Instruction::Mul)
        R = O.mul(BO->getOperand(0), BO->getOperand(1));
      else
        R = O.shift(BO->getOpcode(), BO->getOperand(0), BO->getOperand(1));
    } else {
      auto *II = cast<IntrinsicInst>(I);
      Intrinsic::ID ID = II->getIntrinsicID();
      Value *X = II->getArgOperand(0), *Y = II->getArgOperand(1);
      if (ID == Intrinsic::fshl || ID == Intrinsic::fshr) {
        R = O.funnel(ID == Intrinsic::fshl, X, Y, II->getArgOperand(2));
      } else {
        bool Signed = ID == Intrinsic::smul_with_overflow;
        Value *Res, *Ovf;
        if (X->getType()->isIntegerTy(64)) {
          Halves P = O.mulWide(X, Y);
          Res = P.Lo;
          if (!Signed) {
            Ovf = B.CreateICmpNE(P.Hi, O.k(0));
          } else {
            // Signed high word = unsigned high word - (x < 0 ? y : 0) - (y < 0 ? x : 0);
            // no overflow iff it is the sign extension of the low word.
            Value *Z = O.k(0);
            Value *Hi = B.CreateSub(B.CreateSub(P.Hi, B.CreateSelect(B.CreateICmpSLT(X, Z), Y, Z)),
                                    B.CreateSelect(B.CreateICmpSLT(Y, Z), X, Z));
            Ovf = B.CreateICmpNE(Hi, B.CreateAShr(P.Lo, 63));
          }
        } else {
          // 128 x 128: unsigned magnitude product and its overflow.
          auto umul = [&](Value *A, Value *C, Value *&Lo128, Value *&Over) {
            Halves HA = O.split(A), HC = O.split(C);
            Halves P0 = O.mulWide(HA.Lo, HC.Lo);
            Halves P1 = O.mulWide(HA.Lo, HC.Hi);
            Halves P2 = O.mulWide(HA.Hi, HC.Lo);
            Value *S1 = B.CreateAdd(P0.Hi, P1.Lo);
            Value *S2 = B.CreateAdd(S1, P2.Lo);
            Over = B.CreateOr(
                B.CreateOr(B.CreateAnd(B.CreateICmpNE(HA.Hi, O.k(0)), B.CreateICmpNE(HC.Hi, O.k(0))),
                           B.CreateOr(B.CreateICmpNE(P1.Hi, O.k(0)), B.CreateICmpNE(P2.Hi, O.k(0)))),
                B.CreateOr(B.CreateICmpULT(S1, P0.Hi), B.CreateICmpULT(S2, S1)));
            Lo128 = O.join({P0.Lo, S2});
          };
          if (!Signed) {
            umul(X, Y, Res, Ovf);
          } else {
            Value *Zero = ConstantInt::get(O.I128, 0);
            Value *XN = B.CreateICmpSLT(X, Zero), *YN = B.CreateICmpSLT(Y, Zero);
            Value *U, *UOvf;
            umul(B.CreateSelect(XN, B.CreateSub(Zero, X), X),
                 B.CreateSelect(YN, B.CreateSub(Zero, Y), Y), U, UOvf);
            Value *Neg = B.CreateXor(XN, YN);
            // |result| < 2^127, or == 2^127 for a negative result (i128::MIN).
            Value *Lim = ConstantInt::get(O.I128, APInt::getSignedMinValue(128));
            Value *Range = B.CreateSelect(Neg, B.CreateICmpUGT(U, Lim), B.CreateICmpUGE(U, Lim));
            Ovf = B.CreateOr(UOvf, Range);
            Res = B.CreateSelect(Neg, B.CreateSub(Zero, U), U);
          }
        }
        R = B.CreateInsertValue(B.CreateInsertValue(PoisonValue::get(II->getType()), Res, 0), Ovf, 1);
      }
    }
    I->replaceAllUsesWith(R);
    I->eraseFromParent();
  }
  return !Work.empty();
}

struct LowerI128 : PassInfoMixin<LowerI128> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    bool Changed = false;
    std::vector<Function *> Fns;
    for (Function &F : M)
      if (!F.isDeclaration() && F.getName() != DivHelperName)
        Fns.push_back(&F);
    for (Function *F : Fns) {
      Changed |= lowerDivisions(*F, M);
      Changed |= lowerRest(*F);
    }
    // The helper's own i128 compare/sub/select are legal; its muls are already 64-bit.
    return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

// ------------------------------------------------------------------------------------------
// sbf-pack-args
// ------------------------------------------------------------------------------------------
constexpr unsigned MaxRegs = 5;

// Registers a value of type T takes (the backend splits i128 into two i64).
static unsigned regsOf(Type *T, const DataLayout &DL) {
  if (!T->isSized())
    return 1;
  uint64_t Bits = DL.getTypeSizeInBits(T).getFixedValue();
  return Bits <= 64 ? 1 : unsigned((Bits + 63) / 64);
}

static unsigned regsOf(FunctionType *FT, const DataLayout &DL) {
  unsigned N = 0;
  for (Type *T : FT->params())
    N += regsOf(T, DL);
  return N;
}

// How many leading parameters stay in registers (<= 4 registers, the 5th holds the pointer).
static unsigned keptParams(FunctionType *FT, const DataLayout &DL) {
  unsigned Regs = 0, K = 0;
  for (Type *T : FT->params()) {
    unsigned R = regsOf(T, DL);
    if (Regs + R > MaxRegs - 1)
      break;
    Regs += R;
    ++K;
  }
  return K;
}

static bool needsPacking(FunctionType *FT, const DataLayout &DL) {
  return !FT->isVarArg() && regsOf(FT, DL) > MaxRegs;
}

struct Packed {
  unsigned Kept;
  StructType *Rest;
  FunctionType *NewFT;
};

static Packed packedType(FunctionType *FT, const DataLayout &DL) {
  unsigned K = keptParams(FT, DL);
  SmallVector<Type *, 8> Rest(FT->param_begin() + K, FT->param_end());
  SmallVector<Type *, 5> Params(FT->param_begin(), FT->param_begin() + K);
  Params.push_back(PointerType::get(FT->getContext(), 0));
  return {K, StructType::get(FT->getContext(), Rest),
          FunctionType::get(FT->getReturnType(), Params, false)};
}

static AttributeList packedAttrs(LLVMContext &C, AttributeList AL, unsigned Kept) {
  SmallVector<AttributeSet, 5> PA;
  for (unsigned I = 0; I < Kept; ++I)
    PA.push_back(AL.getParamAttrs(I));
  PA.push_back(AttributeSet()); // the pointer to the rest
  return AttributeList::get(C, AL.getFnAttrs(), AL.getRetAttrs(), PA);
}

static bool stripSRet(Module &M) {
  bool Changed = false;
  for (Function &F : M) {
    for (unsigned I = 0; I < F.arg_size(); ++I)
      if (F.hasParamAttribute(I, Attribute::StructRet)) {
        F.removeParamAttr(I, Attribute::StructRet);
        Changed = true;
      }
    for (Instruction &I : instructions(F))
      if (auto *CB = dyn_cast<CallBase>(&I))
        for (unsigned A = 0; A < CB->arg_size(); ++A)
          if (CB->paramHasAttr(A, Attribute::StructRet)) {
            CB->removeParamAttr(A, Attribute::StructRet);
            Changed = true;
          }
  }
  return Changed;
}

// Packed parameters must be plain values: a `byval` one would need a copy (reported by sbf-check).
static bool packable(FunctionType *FT, AttributeList AL, const DataLayout &DL) {
  unsigned K = keptParams(FT, DL);
  for (unsigned I = K; I < FT->getNumParams(); ++I)
    if (AL.hasParamAttr(I, Attribute::ByVal) || AL.hasParamAttr(I, Attribute::InAlloca) ||
        AL.hasParamAttr(I, Attribute::Preallocated))
      return false;
  return true;
}

static bool packArgs(Module &M) {
  const DataLayout &DL = M.getDataLayout();
  bool Changed = stripSRet(M);

  // Call sites first (direct and indirect), while the callees still have their old types.
  std::vector<CallInst *> Calls;
  for (Function &F : M)
    for (Instruction &I : instructions(F))
      if (auto *CI = dyn_cast<CallInst>(&I)) {
        if (CI->isInlineAsm() || !needsPacking(CI->getFunctionType(), DL) ||
            !packable(CI->getFunctionType(), CI->getAttributes(), DL))
          continue;
        if (Function *Callee = CI->getCalledFunction())
          if (Callee->isDeclaration())
            continue; // not ours to change: sbf-check reports it
        Calls.push_back(CI);
      }
  for (CallInst *CI : Calls) {
    FunctionType *FT = CI->getFunctionType();
    Packed P = packedType(FT, DL);
    Function *Caller = CI->getFunction();
    IRBuilder<> EB(&*Caller->getEntryBlock().getFirstInsertionPt());
    AllocaInst *Slot = EB.CreateAlloca(P.Rest, nullptr, "sbf.args");
    IRBuilder<> B(CI);
    B.CreateLifetimeStart(Slot);
    for (unsigned I = P.Kept; I < FT->getNumParams(); ++I)
      B.CreateStore(CI->getArgOperand(I), B.CreateStructGEP(P.Rest, Slot, I - P.Kept));
    SmallVector<Value *, 5> Args(CI->arg_begin(), CI->arg_begin() + P.Kept);
    Args.push_back(Slot);
    CallInst *New = B.CreateCall(P.NewFT, CI->getCalledOperand(), Args);
    New->setCallingConv(CI->getCallingConv());
    New->setTailCallKind(CallInst::TCK_None); // the struct lives in the caller's frame
    New->setAttributes(packedAttrs(M.getContext(), CI->getAttributes(), P.Kept));
    New->setDebugLoc(CI->getDebugLoc());
    New->takeName(CI);
    CI->replaceAllUsesWith(New);
    CI->eraseFromParent();
    B.SetInsertPoint(New->getNextNode());
    B.CreateLifetimeEnd(Slot);
    Changed = true;
  }

  // Then the definitions.
  std::vector<Function *> Fns;
  for (Function &F : M)
    if (!F.isDeclaration() && needsPacking(F.getFunctionType(), DL) &&
        packable(F.getFunctionType(), F.getAttributes(), DL))
      Fns.push_back(&F);
  for (Function *F : Fns) {
    FunctionType *FT = F->getFunctionType();
    Packed P = packedType(FT, DL);
    Function *NF = Function::Create(P.NewFT, F->getLinkage(), F->getAddressSpace(), "", &M);
    NF->copyAttributesFrom(F);
    NF->setAttributes(packedAttrs(M.getContext(), F->getAttributes(), P.Kept));
    NF->setSubprogram(F->getSubprogram());
    F->setSubprogram(nullptr);
    NF->splice(NF->begin(), F);
    IRBuilder<> B(&*NF->getEntryBlock().getFirstInsertionPt());
    Argument *RestPtr = NF->getArg(P.Kept);
    RestPtr->setName("sbf.args");
    for (unsigned I = 0; I < FT->getNumParams(); ++I) {
      Argument *Old = F->getArg(I);
      Value *New;
      if (I < P.Kept) {
        New = NF->getArg(I);
        New->takeName(Old);
      } else {
        // Volatile: sbpf-linker's second optimization run includes ArgumentPromotion, which
        // would otherwise turn the struct back into separate arguments.
        LoadInst *L = B.CreateLoad(FT->getParamType(I), B.CreateStructGEP(P.Rest, RestPtr, I - P.Kept));
        L->setVolatile(true);
        New = L;
      }
      Old->replaceAllUsesWith(New);
    }
    NF->takeName(F);
    F->replaceAllUsesWith(NF);
    F->eraseFromParent();
    Changed = true;
  }
  return Changed;
}

struct PackArgs : PassInfoMixin<PackArgs> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    return packArgs(M) ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

// ------------------------------------------------------------------------------------------
// sbf-check
// ------------------------------------------------------------------------------------------
static std::string nameOf(const Function &F) { return demangle(F.getName().str()); }

// compiler-rt/compiler-builtins helpers on 128-bit integers ("ti" mode): __multi3, __udivti3,
// __ashlti3, __muloti4, __floattidf, __fixdfti, ...
static bool isTiLibcall(StringRef N) {
  if (!N.starts_with("__") || N.size() < 6)
    return false;
  return N.drop_back(1).ends_with("ti") && isdigit(N.back());
}

struct Check : PassInfoMixin<Check> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    const DataLayout &DL = M.getDataLayout();
    std::vector<std::string> Problems;
    auto report = [&](const Function &F, const Twine &What) {
      Problems.push_back((nameOf(F) + ": " + What).str());
    };
    auto wideInt = [](Type *T) { return T->isIntOrIntVectorTy() && T->getScalarSizeInBits() > 64; };

    for (Function &F : M) {
      if (F.isDeclaration())
        continue;
      if (needsPacking(F.getFunctionType(), DL))
        report(F, "takes more than 5 argument registers");
      if (!F.getReturnType()->isVoidTy() && regsOf(F.getReturnType(), DL) > 1)
        report(F, "returns a value wider than 64 bits");
      for (Instruction &I : instructions(F)) {
        auto text = [&I] {
          std::string S;
          raw_string_ostream OS(S);
          I.print(OS);
          return S;
        };
        if (auto *BO = dyn_cast<BinaryOperator>(&I)) {
          auto Op = BO->getOpcode();
          bool Shift = Op == Instruction::Shl || Op == Instruction::LShr || Op == Instruction::AShr;
          if (wideInt(BO->getType()) &&
              (Op == Instruction::Mul || Op == Instruction::UDiv || Op == Instruction::SDiv ||
               Op == Instruction::URem || Op == Instruction::SRem ||
               (Shift && !isa<Constant>(BO->getOperand(1)))))
            report(F, "not lowered:" + text());
        } else if (isa<FPToUIInst>(I) || isa<FPToSIInst>(I)) {
          if (wideInt(I.getType()))
            report(F, "float to 128-bit integer is not supported:" + text());
        } else if (isa<UIToFPInst>(I) || isa<SIToFPInst>(I)) {
          if (wideInt(I.getOperand(0)->getType()))
            report(F, "128-bit integer to float is not supported:" + text());
        } else if (auto *II = dyn_cast<IntrinsicInst>(&I)) {
          switch (II->getIntrinsicID()) {
          case Intrinsic::umul_with_overflow:
          case Intrinsic::smul_with_overflow:
            if (II->getArgOperand(0)->getType()->getScalarSizeInBits() >= 64)
              report(F, "not lowered:" + text());
            break;
          case Intrinsic::fshl:
          case Intrinsic::fshr:
            if (wideInt(II->getType()) && !isa<Constant>(II->getArgOperand(2)))
              report(F, "not lowered:" + text());
            break;
          case Intrinsic::smul_fix: case Intrinsic::umul_fix:
          case Intrinsic::smul_fix_sat: case Intrinsic::umul_fix_sat:
          case Intrinsic::sdiv_fix: case Intrinsic::udiv_fix:
          case Intrinsic::sdiv_fix_sat: case Intrinsic::udiv_fix_sat:
            if (II->getType()->getScalarSizeInBits() > 32)
              report(F, "fixed-point intrinsic needs a wide multiply/divide:" + text());
            break;
          default:
            break;
          }
        } else if (auto *CB = dyn_cast<CallBase>(&I)) {
          if (CB->isInlineAsm())
            continue;
          if (needsPacking(CB->getFunctionType(), DL))
            report(F, "call with more than 5 argument registers:" + text());
          if (Function *Callee = CB->getCalledFunction())
            if (isTiLibcall(Callee->getName()))
              report(F, "calls the 128-bit libcall " + Callee->getName());
        }
      }
    }
    if (Problems.empty())
      return PreservedAnalyses::all();
    errs() << "sbf-check: " << Problems.size()
           << " construct(s) the LLVM 22 BPF backend cannot emit (it would emit wrong code):\n";
    for (const std::string &P : Problems)
      errs() << "  " << P << "\n";
    errs() << "Teach scripts/sbf/lower_i128.cpp to lower them, or avoid them in the source.\n";
    reportFatalUsageError("sbf-check failed");
  }
  static bool isRequired() { return true; }
};

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "sbf-lower", "1", [](PassBuilder &PB) {
            PB.registerPipelineParsingCallback(
                [](StringRef Name, ModulePassManager &MPM, ArrayRef<PassBuilder::PipelineElement>) {
                  if (Name == "sbf-lower-i128")
                    MPM.addPass(LowerI128());
                  else if (Name == "sbf-pack-args")
                    MPM.addPass(PackArgs());
                  else if (Name == "sbf-check")
                    MPM.addPass(Check());
                  else
                    return false;
                  return true;
                });
          }};
}
