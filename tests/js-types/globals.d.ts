// What the mini-program entry reads from the runtime when it is there (it checks with `typeof`).
declare const wx: import('../../pkg/miniprogram.js').WxStorageApi & import('../../pkg/miniprogram.js').WxLifecycleApi & import('../../pkg/miniprogram.js').WxPaymentApi & { request: import('../../pkg/miniprogram.js').WxRequest };
declare const WXWebAssembly: import('../../pkg/miniprogram.js').MiniProgramWebAssembly;
