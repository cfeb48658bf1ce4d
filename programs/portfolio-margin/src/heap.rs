//! The program's heap: a bump allocator over the heap frame the transaction requested.
//!
//! Why not the default (solana-program-entrypoint's `BumpAllocator`): it assumes the 32 KiB
//! default frame and allocates downward from its top, so it can never use more. Ours grows
//! upward from the heap start, so an instruction that stays within 32 KiB needs no request,
//! and one that needs more (margin checks of large accounts, liquidations) uses what the
//! client asked for with `ComputeBudgetInstruction::request_heap_frame` (up to 256 KiB).
//! Past the frame the VM stops the program with an access violation: an error, never a
//! silent overwrite. The last allocation grows and shrinks in place (`Vec` growth).
use core::alloc::{GlobalAlloc, Layout};

/// Where the VM maps the heap, and the largest frame a transaction may request.
pub const HEAP_START: usize = 0x3_0000_0000;
pub const MAX_HEAP_FRAME: usize = 256 * 1024;

/// The next free address lives in the heap's first word (zero at the start of every
/// instruction: the VM hands out zeroed heap memory).
pub struct UpwardBump;

impl UpwardBump {
    #[inline(always)]
    fn cursor() -> *mut usize {
        HEAP_START as *mut usize
    }
}

unsafe impl GlobalAlloc for UpwardBump {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let cur = unsafe { *Self::cursor() };
        let next = if cur == 0 { HEAP_START + core::mem::size_of::<usize>() } else { cur };
        let start = (next + layout.align() - 1) & !(layout.align() - 1);
        let end = match start.checked_add(layout.size()) {
            Some(e) if e <= HEAP_START + MAX_HEAP_FRAME => e,
            _ => return core::ptr::null_mut(),
        };
        unsafe { *Self::cursor() = end };
        start as *mut u8
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the last allocation can be given back.
        let cur = Self::cursor();
        if unsafe { *cur } == ptr as usize + layout.size() {
            unsafe { *cur = ptr as usize };
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let cur = Self::cursor();
        // The last allocation grows (or shrinks) where it is.
        if unsafe { *cur } == ptr as usize + layout.size() {
            if let Some(end) = (ptr as usize).checked_add(new_size).filter(|e| *e <= HEAP_START + MAX_HEAP_FRAME) {
                unsafe { *cur = end };
                return ptr;
            }
            return core::ptr::null_mut();
        }
        let new = unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

#[cfg(all(target_os = "solana", feature = "custom-heap"))]
#[global_allocator]
static ALLOCATOR: UpwardBump = UpwardBump;
